/* Tests of the unwind table cache on disk (preload/tabcache.c), on libc's table as this
 * process has it: a stored table loads back equal, row for row and lookup for lookup; a file
 * that is damaged, cut, of another object (build-id, .eh_frame_hdr, .eh_frame), writable by
 * others or not a regular file is refused, and the next build replaces it; no cache (off, no
 * build-id) stores nothing; the directory keeps within its budget. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "eh_src.h"
#include "tabcache.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/inflame-tabcache-XXXXXX";
static char file[sizeof(dir) + 64];
static struct inflame_tabcache_key key;
static struct inflame_eh_src src;
static const uint8_t id[20] = {0xde, 0xad, 0xbe, 0xef, 1,  2,  3,  4,  5,  6,
			       7,    8,	   9,	 10,   11, 12, 13, 14, 15, 16};

static int libc_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	(void)arg;
	if (!info->dlpi_name || !strstr(info->dlpi_name, "libc.so"))
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type != PT_GNU_EH_FRAME)
			continue;
		assert_int_equal(eh_src_of(info, ph, &src), 0);
		key = (struct inflame_tabcache_key){
		    id,		 sizeof(id), (const uint8_t *)(info->dlpi_addr + ph->p_vaddr),
		    ph->p_memsz, src.vaddr,  src.len};
		return 1;
	}
	return 0;
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(file, sizeof(file), "%s/sub/deadbeef0102030405060708090a0b0c0d0e0f10.tab", dir);
	if (!dl_iterate_phdr(libc_cb, NULL))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char cmd[sizeof(dir) + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Points the cache at dir/sub, empty. */
static void fresh(void)
{
	char d[sizeof(dir) + 8];

	unlink(file);
	snprintf(d, sizeof(d), "%s/sub", dir);
	rmdir(d);
	inflame_tabcache_setup(d);
}

static void same_table(const struct inflame_eh_table *a, const struct inflame_eh_table *b)
{
	assert_int_equal(a->lo, b->lo);
	assert_int_equal(a->hi, b->hi);
	assert_int_equal(a->n, b->n);
	assert_int_equal(a->nindex, b->nindex);
	assert_int_equal(a->shift, b->shift);
	assert_memory_equal(&a->st, &b->st, sizeof(a->st));
	assert_memory_equal(a->rows, b->rows, a->n * sizeof(a->rows[0]));
	assert_memory_equal(a->index, b->index, a->nindex * sizeof(uint32_t));
	for (uint64_t pc = a->lo; pc < a->hi; pc += 7)
		assert_ptr_equal((const uint8_t *)inflame_ehframe_find(a, pc) - (const uint8_t *)a,
				 (const uint8_t *)inflame_ehframe_find(b, pc) - (const uint8_t *)b);
}

/* Stores a fresh build of libc's table; returns it. */
static struct inflame_eh_table *stored(void)
{
	struct inflame_eh_table *t;
	struct stat st;

	fresh();
	assert_int_equal(inflame_ehframe_build(&src, &t), 0);
	assert_int_equal(inflame_tabcache_store(&key, t), 0);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	return t;
}

static void refused(void)
{
	struct inflame_eh_table *t = (void *)1;
	struct inflame_tabcache_stats a, b;

	inflame_tabcache_stats(&a);
	assert_int_equal(inflame_tabcache_load(&key, &t), -ENOENT);
	assert_null(t);
	inflame_tabcache_stats(&b);
	assert_int_equal(b.rejected, a.rejected + 1);
}

static void test_round_trip(void **state)
{
	struct inflame_eh_table *t = stored(), *u;
	struct inflame_tabcache_stats a, b;

	(void)state;
	inflame_tabcache_stats(&a);
	assert_int_equal(inflame_tabcache_load(&key, &u), 0);
	inflame_tabcache_stats(&b);
	assert_int_equal(b.hits, a.hits + 1);
	same_table(t, u);
	inflame_ehframe_free(u);
	/* build goes through the cache: the same table again */
	assert_int_equal(inflame_tabcache_build(&key, &src, &u), 0);
	inflame_tabcache_stats(&a);
	assert_int_equal(a.hits, b.hits + 1);
	same_table(t, u);
	inflame_ehframe_free(u);
	inflame_ehframe_free(t);
}

static void test_build_stores(void **state)
{
	struct inflame_eh_table *t, *u;
	struct inflame_tabcache_stats a, b;

	(void)state;
	fresh();
	inflame_tabcache_stats(&a);
	assert_int_equal(inflame_tabcache_build(&key, &src, &t), 0);
	inflame_tabcache_stats(&b);
	assert_int_equal(b.misses, a.misses + 1);
	assert_int_equal(b.stores, a.stores + 1);
	assert_int_equal(access(file, R_OK), 0);
	assert_int_equal(inflame_tabcache_load(&key, &u), 0);
	same_table(t, u);
	inflame_ehframe_free(u);
	inflame_ehframe_free(t);
}

/* Overwrites one byte of the file at off (from its start, or its end when negative). */
static void poke(long off)
{
	int fd = open(file, O_RDWR);
	off_t end = lseek(fd, 0, SEEK_END);
	uint8_t c;

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &c, 1, off < 0 ? end + off : off), 1);
	c ^= 0x40;
	assert_int_equal(pwrite(fd, &c, 1, off < 0 ? end + off : off), 1);
	close(fd);
}

static void test_damaged(void **state)
{
	struct inflame_eh_table *t = stored(), *u;
	struct stat st;
	long at[] = {0, 8, 16, 75, 4096, 100000, -1, -64, -100, -144};

	(void)state;
	assert_int_equal(stat(file, &st), 0);
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		inflame_ehframe_free(stored());
		poke(at[i]);
		refused();
	}
	/* cut short */
	inflame_ehframe_free(stored());
	assert_int_equal(truncate(file, st.st_size - 8), 0);
	refused();
	assert_int_equal(truncate(file, 40), 0);
	refused();
	/* a build replaces the damaged file */
	assert_int_equal(inflame_tabcache_build(&key, &src, &u), 0);
	inflame_ehframe_free(u);
	assert_int_equal(inflame_tabcache_load(&key, &u), 0);
	same_table(t, u);
	inflame_ehframe_free(u);
	inflame_ehframe_free(t);
}

static void test_other_object(void **state)
{
	struct inflame_eh_table *t = stored(), *u;
	struct inflame_tabcache_key k = key;
	uint8_t other[20];

	(void)state;
	/* another build-id: another file, none there */
	memcpy(other, id, sizeof(other));
	other[19] ^= 1;
	k.build_id = other;
	assert_int_equal(inflame_tabcache_load(&k, &u), -ENOENT);
	/* the same build-id with other unwind information: stale */
	k = key;
	k.hdr_len -= 4;
	assert_int_equal(inflame_tabcache_load(&k, &u), -ENOENT);
	k = key;
	k.hdr = key.hdr + 4; /* other bytes, same length */
	assert_int_equal(inflame_tabcache_load(&k, &u), -ENOENT);
	k = key;
	k.eh_vaddr += 16;
	assert_int_equal(inflame_tabcache_load(&k, &u), -ENOENT);
	k = key;
	k.eh_len -= 16;
	assert_int_equal(inflame_tabcache_load(&k, &u), -ENOENT);
	/* the right key still loads */
	assert_int_equal(inflame_tabcache_load(&key, &u), 0);
	inflame_ehframe_free(u);
	inflame_ehframe_free(t);
}

static void test_not_ours(void **state)
{
	struct inflame_eh_table *t = stored();
	char d[sizeof(file) + 8];

	(void)state;
	assert_int_equal(chmod(file, 0622), 0);
	refused();
	assert_int_equal(chmod(file, 0600), 0);
	/* a symbolic link to a valid file is not followed */
	snprintf(d, sizeof(d), "%s.real", file);
	assert_int_equal(rename(file, d), 0);
	assert_int_equal(symlink(d, file), 0);
	{
		struct inflame_eh_table *u = (void *)1;

		assert_int_equal(inflame_tabcache_load(&key, &u), -ENOENT);
		assert_null(u);
	}
	unlink(file);
	unlink(d);
	inflame_ehframe_free(t);
}

static void test_off(void **state)
{
	struct inflame_eh_table *t, *u;
	struct inflame_tabcache_key k = key;

	(void)state;
	fresh();
	assert_int_equal(inflame_ehframe_build(&src, &t), 0);
	k.build_id_len = 0;
	assert_int_equal(inflame_tabcache_store(&k, t), -ENOENT);
	inflame_tabcache_setup(NULL);
	assert_int_equal(inflame_tabcache_store(&key, t), -ENOENT);
	assert_int_equal(inflame_tabcache_load(&key, &u), -ENOENT);
	assert_int_equal(inflame_tabcache_build(&key, &src, &u), 0);
	inflame_ehframe_free(u);
	assert_int_equal(access(file, F_OK), -1);
	/* relative directories are refused */
	inflame_tabcache_setup("relative/dir");
	assert_int_equal(inflame_tabcache_store(&key, t), -ENOENT);
	inflame_ehframe_free(t);
}

static void test_env(void **state)
{
	struct inflame_eh_table *t;
	char want[sizeof(dir) + 32];

	(void)state;
	unsetenv("INFLAME_TABLE_CACHE");
	setenv("XDG_CACHE_HOME", dir, 1);
	inflame_tabcache_setup_env();
	assert_int_equal(inflame_ehframe_build(&src, &t), 0);
	assert_int_equal(inflame_tabcache_store(&key, t), 0);
	snprintf(want, sizeof(want), "%s/inflame/deadbeef", dir);
	{
		char f[sizeof(want) + 64];

		snprintf(f, sizeof(f), "%s0102030405060708090a0b0c0d0e0f10.tab", want);
		assert_int_equal(access(f, R_OK), 0);
	}
	unsetenv("XDG_CACHE_HOME");
	setenv("HOME", dir, 1);
	inflame_tabcache_setup_env();
	assert_int_equal(inflame_tabcache_store(&key, t), 0);
	snprintf(want, sizeof(want), "%s/.cache/inflame", dir);
	assert_int_equal(access(want, X_OK), 0);
	setenv("INFLAME_TABLE_CACHE", "off", 1);
	inflame_tabcache_setup_env();
	assert_int_equal(inflame_tabcache_store(&key, t), -ENOENT);
	inflame_ehframe_free(t);
}

/* The directory stays within its budget: a store that takes it over removes the files used least
 * recently (a load marks its file used) down to three quarters of the budget, never the file
 * just stored. With room for 3.5 tables, four stores (the first three dated 100, 200, 300 s
 * after the epoch) and a load of the first: the fourth store removes the second and the
 * third. */
static void test_budget(void **state)
{
	struct inflame_eh_table *t, *u;
	struct inflame_tabcache_stats a, b;
	uint8_t ids[4][20];
	char names[4][sizeof(dir) + 64];
	struct stat st;

	(void)state;
	fresh();
	assert_int_equal(inflame_ehframe_build(&src, &t), 0);
	for (int i = 0; i < 4; i++) {
		struct inflame_tabcache_key k = key;

		memcpy(ids[i], id, sizeof(id));
		ids[i][0] = (uint8_t)(0xa0 + i);
		k.build_id = ids[i];
		snprintf(names[i], sizeof(names[i]),
			 "%s/sub/%02xadbeef0102030405060708090a0b0c0d0e0f10.tab", dir, ids[i][0]);
		if (i == 3) {
			/* the first used again: the second is now the oldest */
			struct inflame_tabcache_key k0 = key;

			k0.build_id = ids[0];
			assert_int_equal(inflame_tabcache_load(&k0, &u), 0);
			inflame_ehframe_free(u);
			inflame_tabcache_stats(&a);
		}
		assert_int_equal(inflame_tabcache_store(&k, t), 0);
		assert_int_equal(stat(names[i], &st), 0);
		if (i == 0)
			inflame_tabcache_set_budget((uint64_t)st.st_size * 7 / 2);
		if (i < 3) {
			struct timespec times[2] = {{100 * (i + 1), 0}, {100 * (i + 1), 0}};

			assert_int_equal(utimensat(AT_FDCWD, names[i], times, 0), 0);
		}
	}
	inflame_tabcache_stats(&b);
	assert_int_equal(b.pruned, a.pruned + 2);
	assert_int_equal(access(names[0], F_OK), 0);
	assert_int_equal(access(names[1], F_OK), -1);
	assert_int_equal(access(names[2], F_OK), -1);
	assert_int_equal(access(names[3], F_OK), 0);
	inflame_tabcache_set_budget(0);
	inflame_ehframe_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip), cmocka_unit_test(test_build_stores),
	    cmocka_unit_test(test_damaged),    cmocka_unit_test(test_other_object),
	    cmocka_unit_test(test_not_ours),   cmocka_unit_test(test_off),
	    cmocka_unit_test(test_env),	       cmocka_unit_test(test_budget),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
