/*
 * Interposition of the dynamic loader: dlopen, dlclose and dl_iterate_phdr mark the thread as
 * inside the loader while they run (the DWARF unwinder must not run then, unwind.h) and keep
 * the module map honest (modules.h). dlopen also keeps the program's search path: the loader
 * takes the caller's DT_RUNPATH for a bare name, and the caller it sees is now this wrapper.
 */
#include "interpose.h"

#include "log.h"
#include "modules.h"
#include "profiler.h"
#include "thread.h"
#include "writer.h"

#include <dlfcn.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void *(*real_dlopen)(const char *, int);
static int (*real_dlclose)(void *);
static int (*real_dl_iterate_phdr)(int (*)(struct dl_phdr_info *, size_t, void *), void *);

void inflame__interpose_loader_resolve(void)
{
	INFLAME_LOADER_NAMES(INFLAME_RESOLVE_ONE)
}

int inflame__real_dl_iterate_phdr(int (*cb)(struct dl_phdr_info *, size_t, void *), void *arg)
{
	INFLAME_RESOLVE(dl_iterate_phdr);
	return real_dl_iterate_phdr(cb, arg);
}

/* (a thread without a slot counts in the profiler's word: an image that waits has no slot yet,
 * and its first sample's handler must not settle inside the loader, profiler.h) */
static void enter_dl(struct inflame_thread *t)
{
	if (t)
		atomic_fetch_add(&t->in_dl, 1);
	else
		atomic_fetch_add(&inflame__prof.in_dl_unset, 1);
}

static void leave_dl(struct inflame_thread *t)
{
	if (t)
		atomic_fetch_sub(&t->in_dl, 1);
	else
		atomic_fetch_sub(&inflame__prof.in_dl_unset, 1);
}

static int once_deepbind;

/* dlopen searches the calling object's DT_RUNPATH (or DT_RPATH) for a bare name, and the
 * caller it sees is now this wrapper. When the real dlopen fails for a name without a slash,
 * search the true caller's paths (with $ORIGIN expanded) the way the loader would have. */
static void *dlopen_caller_paths(const char *file, int mode, const void *caller)
{
	struct link_map *lm = NULL;
	const ElfW(Dyn) * d;
	const char *strtab = NULL, *paths = NULL, *rpath = NULL;
	char origin[PATH_MAX], path[2 * PATH_MAX + 16];
	Dl_info info;

	if (!dladdr1(caller, &info, (void **)&lm, RTLD_DL_LINKMAP) || !lm || !lm->l_ld)
		return NULL;
	for (d = lm->l_ld; d->d_tag != DT_NULL; d++)
		if (d->d_tag == DT_STRTAB)
			strtab = (const char *)d->d_un.d_ptr;
	if (!strtab)
		return NULL;
	for (d = lm->l_ld; d->d_tag != DT_NULL; d++) {
		if (d->d_tag == DT_RUNPATH)
			paths = strtab + d->d_un.d_val;
		else if (d->d_tag == DT_RPATH)
			rpath = strtab + d->d_un.d_val;
	}
	if (!paths)
		paths = rpath;
	if (!paths)
		return NULL;
	if (lm->l_name && lm->l_name[0]) {
		snprintf(origin, sizeof(origin), "%s", lm->l_name);
	} else {
		ssize_t n = readlink("/proc/self/exe", origin, sizeof(origin) - 1);

		origin[n > 0 ? n : 0] = 0;
	}
	if (strrchr(origin, '/'))
		*strrchr(origin, '/') = 0;
	while (*paths) {
		size_t len = strcspn(paths, ":");
		void *h;

		if (len >= 7 && !strncmp(paths, "$ORIGIN", 7))
			snprintf(path, sizeof(path), "%s%.*s/%s", origin, (int)(len - 7), paths + 7,
				 file);
		else if (len >= 9 && !strncmp(paths, "${ORIGIN}", 9))
			snprintf(path, sizeof(path), "%s%.*s/%s", origin, (int)(len - 9), paths + 9,
				 file);
		else
			snprintf(path, sizeof(path), "%.*s/%s", (int)len, paths, file);
		h = real_dlopen(path, mode);
		if (h)
			return h;
		paths += len;
		if (*paths == ':')
			paths++;
	}
	return NULL;
}

INFLAME_EXPORT void *dlopen(const char *file, int mode)
{
	struct inflame_thread *t = inflame_thread_self();
	const void *caller = __builtin_return_address(0);
	void *h;

	INFLAME_RESOLVE(dlopen);
	if (inflame__prof.active && (mode & RTLD_DEEPBIND) &&
	    (inflame__prof.cfg.events & INFLAME_EVMASK_ALLOC)) {
		inflame_log_once(&once_deepbind, INFLAME_LOG_INFO,
				 "dlopen(%s, RTLD_DEEPBIND) would bypass allocation profiling; "
				 "RTLD_DEEPBIND removed",
				 file ? file : "NULL");
		mode &= ~RTLD_DEEPBIND;
	}
	enter_dl(t);
	h = real_dlopen(file, mode);
	if (!h && file && !strchr(file, '/')) {
		h = dlopen_caller_paths(file, mode, caller);
		if (!h)
			real_dlopen(file, mode); /* leave the loader's own error for dlerror() */
	}
	leave_dl(t);
	if (inflame__prof.active)
		inflame_writer_request(INFLAME_WRITER_WAKE);
	return h;
}

INFLAME_EXPORT int dlclose(void *h)
{
	struct inflame_thread *t = inflame_thread_self();
	int rc;

	INFLAME_RESOLVE(dlclose);
	enter_dl(t);
	inflame_modules_close_begin();
	rc = real_dlclose(h);
	inflame_modules_close_end();
	leave_dl(t);
	return rc;
}

INFLAME_EXPORT int dl_iterate_phdr(int (*cb)(struct dl_phdr_info *, size_t, void *), void *arg)
{
	struct inflame_thread *t = inflame_thread_self();
	int rc;

	INFLAME_RESOLVE(dl_iterate_phdr);
	enter_dl(t);
	rc = real_dl_iterate_phdr(cb, arg);
	leave_dl(t);
	return rc;
}
