/*
 * What `inflame record` needs to know before it starts a command: where libinflame.so is, which
 * file the command names (as execvp would find it), and whether LD_PRELOAD can reach it at all.
 * Nothing here prints: results are returned for the command to explain.
 */
#ifndef INFLAME_RECORD_TARGET_H
#define INFLAME_RECORD_TARGET_H

#include <stddef.h>

/* Finds libinflame.so: $INFLAME_PRELOAD_LIB, next to the binary in a build tree, or where it was
 * installed. Writes its path to out. Returns 0 or a negative errno. */
int inflame_record_find_preload(char *out, size_t len);
/* Finds cmd in $PATH as execvp would. Writes the path to out. Returns 0 or a negative errno. */
int inflame_record_resolve(const char *cmd, char *out, size_t len);

/* What inflame_record_check_target() says of an executable. */
enum inflame_record_target {
	INFLAME_TARGET_OK = 0,	    /* dynamically linked, a script, or left for exec to judge */
	INFLAME_TARGET_STATIC = 1,  /* no program interpreter: LD_PRELOAD is ignored */
	INFLAME_TARGET_SETID = 2,   /* setuid or setgid: the loader drops LD_PRELOAD */
	INFLAME_TARGET_MISSING = 3, /* cannot be examined */
};
/* Examines the executable at path. Returns an enum inflame_record_target value. */
int inflame_record_check_target(const char *path);

#endif
