/*
 * A preloaded library that tells, as the process ends, which pages of libinflame.so's writable
 * data (its .data and .bss, the writable segments its program headers name) the process has
 * touched: written, or read where nothing was written (.bss), which maps the zero page. Each is
 * a page fault of every process, which a short one pays for in full (issue 11). Loaded after
 * libinflame.so (LD_PRELOAD="libinflame.so libpagepeek.so"), its destructor runs after
 * inflame's, so the final dump is written by then. A page counts when it is present and not the
 * file's page (/proc/self/pagemap: bit 63 present, bit 61 file page or shared, clear for a
 * private copy and for the zero page; readable without privileges). (A read of .data maps the
 * file's page, with its neighbours: not counted.) Writes one line to the file PAGEPEEK_OUT: the
 * count, then each page's offset from the library's load address, in hex.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct peek {
	int pagemap;
	int n;
	size_t len;
	char list[4096];
};

static int touched(int pagemap, uintptr_t addr)
{
	uint64_t e;

	if (pread(pagemap, &e, sizeof(e), (off_t)(addr / 4096 * sizeof(e))) != sizeof(e))
		return 0;
	return (e >> 63 & 1) && !(e >> 61 & 1);
}

static int look(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct peek *p = arg;
	size_t len = strlen(info->dlpi_name);

	(void)size;
	if (len < 14 || strcmp(info->dlpi_name + len - 14, "/libinflame.so") != 0)
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo, hi;

		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W))
			continue;
		lo = (info->dlpi_addr + ph->p_vaddr) & ~(uintptr_t)4095;
		hi = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
		for (uintptr_t a = lo; a < hi; a += 4096)
			if (touched(p->pagemap, a) && p->len < sizeof(p->list) - 32) {
				p->n++;
				p->len +=
				    (size_t)snprintf(p->list + p->len, sizeof(p->list) - p->len,
						     " %lx", (unsigned long)(a - info->dlpi_addr));
			}
	}
	return 1;
}

__attribute__((destructor)) static void pagepeek_report(void)
{
	static struct peek p;
	static char line[sizeof(p.list) + 32];
	const char *out = getenv("PAGEPEEK_OUT");
	int fd, len;

	/* (no stdio: an allocation of its own would write pages of inflame's hooks) */
	if (!out)
		return;
	p.pagemap = open("/proc/self/pagemap", O_RDONLY);
	if (p.pagemap < 0)
		return;
	dl_iterate_phdr(look, &p);
	close(p.pagemap);
	len = snprintf(line, sizeof(line), "%d%s\n", p.n, p.list);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		if (write(fd, line, (size_t)len) != len)
			unlink(out);
		close(fd);
	}
}
