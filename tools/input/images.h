/*
 * The inputs of a command with shared files expanded: a file that holds several dump images
 * (the file short processes share, inflame-preload(7)) stands for each of its images, named
 * PATH@OFF (dump_images.h) and read as a dump of its own. Placeholders whose image follows are
 * left out; bytes that are no image are reported and skipped. Any other input stays as it is.
 */
#ifndef INFLAME_INPUT_IMAGES_H
#define INFLAME_INPUT_IMAGES_H

/* Expands in[0..n) into *out (*nout entries, NULL-terminated: a command keeps them, a loop frees
 * them with inflame_inputs_release). Warnings start with cmd. Returns 0 or
 * -ENOMEM (said on standard error). */
int inflame_inputs_expand(const char *const *in, int n, const char *cmd, char ***out, int *nout);
/* Frees what inflame_inputs_expand(in, nin, ...) made: the array v of n names, and each name
 * that is not one of in's. */
void inflame_inputs_release(char **v, int n, const char *const *in, int nin);
/* The same for the operands argv[first..*argc) of a command: *argv is replaced by a copy with
 * the expanded operands, *argc by its count. Operands that all expand to nothing (shared files
 * of placeholders only) are an error, said on standard error: -ENODATA. */
int inflame_inputs_expand_argv(int *argc, char ***argv, int first, const char *cmd);

#endif
