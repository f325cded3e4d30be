/*
 * The dump images of a file. A file may hold several images back to back (a file the short
 * processes of a run share, dump_format.h): here is where each starts and ends, which of them
 * stand for nothing (a placeholder whose image follows, a MOVED stand-in), and which bytes are
 * no image at all (garbage, the tail of a write cut short that lost its start). Tools name the
 * image at offset OFF of a file PATH "PATH@OFF", a name inflame_dump_reader_open() accepts.
 */
#ifndef INFLAME_DUMP_IMAGES_H
#define INFLAME_DUMP_IMAGES_H

#include <stddef.h>
#include <stdint.h>

struct inflame_dump_span {
	size_t off, len;
	int image;    /* it starts with the dump magic; else its bytes are no image (skipped) */
	int complete; /* an image that ends with its END chunk */
	int torn;     /* an image a damaged or cut chunk ends */
	int moved;    /* a MOVED stand-in: the image went on in a file of its own */
	int dropped;  /* stands for nothing: a placeholder (or stand-in) whose image follows */
	uint32_t pid, sequence;
	uint64_t start_monotonic;
};

/* The span that starts at off of the size bytes at data: returns 1 with *s, 0 at the end. */
int inflame_dump_span_at(const uint8_t *data, size_t size, size_t off, struct inflame_dump_span *s);

/* All the spans of a file, dropped ones marked (the last image of each pid, start and sequence
 * stands; a MOVED stand-in and all before it drop). Returns the count with *out (to free()),
 * or -ENOMEM. */
long inflame_dump_spans(const uint8_t *data, size_t size, struct inflame_dump_span **out);

/* Splits "PATH@OFF": returns 1 with the length of PATH in *base_len and OFF in *off when name
 * ends so, else 0. */
int inflame_dump_image_name_split(const char *name, size_t *base_len, size_t *off);
/* Whether name is an image's name: "PATH@OFF" where no file has that name. */
int inflame_dump_image_named(const char *name);

#endif
