/*
 * Finding the preload library and the command, and judging whether LD_PRELOAD can reach the
 * command (target.h). A static executable has no program interpreter; a setuid one runs
 * without LD_PRELOAD for any user but its owner. Scripts are fine: their interpreter runs.
 */
#include "record/target.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Where is libinflame.so? Next to the binary in a build tree, or the installed one. */
int inflame_record_find_preload(char *out, size_t len)
{
	char self[PATH_MAX], *slash;
	const char *env = getenv("INFLAME_PRELOAD_LIB");
	const char *rel[] = {"/preload/.libs/libinflame.so", "/../lib/inflame/libinflame.so"};
	ssize_t n;

	if (env && *env) {
		if (access(env, R_OK) != 0)
			return -errno;
		snprintf(out, len, "%s", env);
		return 0;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = 0;
		slash = strrchr(self, '/');
		if (slash)
			*slash = 0;
		for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
			char cand[PATH_MAX * 2], real[PATH_MAX];

			snprintf(cand, sizeof(cand), "%s%s", self, rel[i]);
			if (access(cand, R_OK) == 0 && realpath(cand, real)) {
				snprintf(out, len, "%s", real);
				return 0;
			}
		}
	}
	snprintf(out, len, "%s/libinflame.so", PKGLIBDIR);
	return access(out, R_OK) == 0 ? 0 : -ENOENT;
}

/* Finds cmd in PATH like execvp would. */
int inflame_record_resolve(const char *cmd, char *out, size_t len)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL;

	if (strchr(cmd, '/')) {
		snprintf(out, len, "%s", cmd);
		return access(out, X_OK) == 0 ? 0 : -errno;
	}
	copy = strdup(path ? path : "/usr/local/bin:/usr/bin:/bin");
	if (!copy)
		return -ENOMEM;
	for (dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		snprintf(out, len, "%s/%s", *dir ? dir : ".", cmd);
		if (access(out, X_OK) == 0) {
			free(copy);
			return 0;
		}
	}
	free(copy);
	return -ENOENT;
}

int inflame_record_check_target(const char *path)
{
	unsigned char buf[4096];
	struct stat st;
	ssize_t n;
	int fd;

	if (stat(path, &st) < 0)
		return INFLAME_TARGET_MISSING;
	if ((st.st_mode & (S_ISUID | S_ISGID)) && (st.st_uid != getuid() || st.st_gid != getgid()))
		return INFLAME_TARGET_SETID;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return INFLAME_TARGET_OK; /* let exec report it */
	n = read(fd, buf, sizeof(buf));
	if (n >= 2 && buf[0] == '#' && buf[1] == '!') {
		close(fd);
		return INFLAME_TARGET_OK; /* a script: its interpreter is what runs */
	}
	if (n < (ssize_t)sizeof(Elf64_Ehdr) || memcmp(buf, ELFMAG, SELFMAG) ||
	    buf[EI_CLASS] != ELFCLASS64) {
		close(fd);
		return INFLAME_TARGET_OK;
	}
	{
		Elf64_Ehdr eh;

		memcpy(&eh, buf, sizeof(eh));
		for (int i = 0; i < eh.e_phnum; i++) {
			Elf64_Phdr ph;

			if (pread(fd, &ph, sizeof(ph),
				  (off_t)(eh.e_phoff + (uint64_t)i * eh.e_phentsize)) !=
			    (ssize_t)sizeof(ph))
				break;
			if (ph.p_type == PT_INTERP) {
				close(fd);
				return INFLAME_TARGET_OK;
			}
		}
	}
	close(fd);
	return INFLAME_TARGET_STATIC;
}
