/*
 * Flame graph layout and SVG output.
 *
 * Layout walks the stacks in order (sorted by frame names, or input order for flame charts)
 * keeping the path of frames currently open: a stack that shares its first k frames with the
 * previous one extends those frames and closes the rest, exactly the merge flamegraph.pl does.
 * The x axis is in count units: a frame spans [start, end). A frame is kept only when it is at
 * least the minimum width when it closes, so pruning happens before anything is stored.
 *
 * The SVG follows flamegraph.pl's geometry (10 px side margins, title area at the top,
 * details line at the bottom, one row per depth) and embeds a script (flamegraph.js, compiled
 * into flamegraph_js.h) for zooming, searching and hover details. Each frame is a <g> with a
 * <title> (full name, count, share), a <rect> and a pre-truncated <text> label, plus the
 * frame's exact start and width in counts (fg:x, fg:w) so that the script zooms and computes
 * matched shares without rounding. Names are escaped for XML and invalid UTF-8 or control
 * bytes are replaced, so no symbol can break or inject into the document.
 *
 * Colours come from a hash of the function name by default, so the same function has the
 * same colour in every graph.
 *
 * Differential graphs (stack sets with baseline counts, from "stack base count" lines) are
 * drawn as flamegraph.pl draws them: widths from the counts, each frame coloured by its self
 * delta (count - baseline of the stacks ending there) on a white-to-red scale for growth and
 * white-to-blue for reduction, saturated at the largest |delta|, and the delta shown in the
 * title as a share of the total ("; +1.23%"). --negate swaps the hues and the sign. Unlike
 * flamegraph.pl, a stack that ends at a frame another stack already opened (possible in flame
 * charts) still adds its delta there rather than losing it, and the delta's share is of the
 * total without --factor's scaling.
 */
#include "output/flamegraph.h"

#include "output/flamegraph_js.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define XPAD	 10.0
#define FRAMEPAD 1.0

void inflame_flamegraph_defaults(struct inflame_fg_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->width = 1200;
	o->frameheight = 16;
	o->fontsize = 12;
	o->fontwidth = 0.59;
	o->minwidth = 0.1;
	o->factor = 1;
	o->colors = INFLAME_FG_HOT;
}

static const char *const palette_names[] = {
    [INFLAME_FG_HOT] = "hot",	    [INFLAME_FG_MEM] = "mem",	    [INFLAME_FG_IO] = "io",
    [INFLAME_FG_WAKEUP] = "wakeup", [INFLAME_FG_CHAIN] = "chain",   [INFLAME_FG_JAVA] = "java",
    [INFLAME_FG_JS] = "js",	    [INFLAME_FG_PERL] = "perl",	    [INFLAME_FG_RED] = "red",
    [INFLAME_FG_GREEN] = "green",   [INFLAME_FG_BLUE] = "blue",	    [INFLAME_FG_AQUA] = "aqua",
    [INFLAME_FG_YELLOW] = "yellow", [INFLAME_FG_PURPLE] = "purple", [INFLAME_FG_ORANGE] = "orange",
};

int inflame_flamegraph_palette_parse(const char *s, enum inflame_fg_palette *out)
{
	for (size_t i = 0; i < sizeof(palette_names) / sizeof(palette_names[0]); i++) {
		if (!strcmp(s, palette_names[i])) {
			*out = (enum inflame_fg_palette)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* ---- Layout ---------------------------------------------------------------------------- */

struct builder {
	struct inflame_fg_layout *lay;
	size_t cap;
	double minw; /* in count units */
};

/* Stores a frame that is wide enough. */
static int store(struct builder *b, uint32_t name, uint32_t depth, uint64_t start, uint64_t end,
		 int64_t delta)
{
	struct inflame_fg_layout *lay = b->lay;

	if (lay->n == b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 1024;
		struct inflame_fg_frame *q = realloc(lay->frames, ncap * sizeof(*q));

		if (!q)
			return -ENOMEM;
		lay->frames = q;
		b->cap = ncap;
	}
	lay->frames[lay->n].name = name;
	lay->frames[lay->n].depth = depth;
	lay->frames[lay->n].start = start;
	lay->frames[lay->n].end = end;
	lay->frames[lay->n].delta = delta;
	lay->n++;
	if (depth > lay->maxdepth)
		lay->maxdepth = depth;
	return 0;
}

/* A frame closes: it is kept when wide enough. Most frames of a large profile are pruned
 * here, so this check is inlined into the walk. */
static inline __attribute__((always_inline)) int
emit(struct builder *b, uint32_t name, uint32_t depth, uint64_t start, uint64_t end, int64_t delta)
{
	/* The scale counts pruned frames too, as flamegraph.pl's does. */
	if (delta) {
		uint64_t mag = delta < 0 ? 0 - (uint64_t)delta : (uint64_t)delta;

		if (mag > b->lay->maxdelta)
			b->lay->maxdelta = mag;
	}
	if ((double)(end - start) < b->minw || end == start)
		return 0;
	return store(b, name, depth, start, end, delta);
}

static int cmp_frames(const void *a, const void *b)
{
	const struct inflame_fg_frame *x = a, *y = b;

	if (x->depth != y->depth)
		return x->depth < y->depth ? -1 : 1;
	return (x->start > y->start) - (x->start < y->start);
}

/* Builds a copy of ss with every stack reversed (for --reverse), ordered and differential
 * when ss is. */
static struct inflame_stackset *reversed_copy(const struct inflame_stackset *ss)
{
	struct inflame_stackset *r = inflame_stackset_is_ordered(ss)
					 ? inflame_stackset_new_ordered()
					 : inflame_stackset_new();
	int diff = inflame_stackset_is_diff(ss);
	uint32_t *buf = NULL;
	size_t cap = 0;

	if (!r)
		return NULL;
	/* Intern the names in id order so that ids stay the same. */
	for (size_t i = 0; i < inflame_stackset_nframes_total(ss); i++) {
		size_t len;
		const char *nm = inflame_stackset_name(ss, (uint32_t)i, &len);

		if (inflame_stackset_intern(r, nm, len) != i)
			goto fail;
	}
	for (size_t i = 0; i < inflame_stackset_count(ss); i++) {
		const uint32_t *f;
		size_t n;
		uint64_t c;

		inflame_stackset_get(ss, i, &f, &n, &c);
		if (n > cap) {
			uint32_t *q = realloc(buf, n * sizeof(*q));

			if (!q)
				goto fail;
			buf = q;
			cap = n;
		}
		for (size_t k = 0; k < n; k++)
			buf[k] = f[n - 1 - k];
		if ((diff ? inflame_stackset_add_diff(r, buf, n, inflame_stackset_base(ss, i), c)
			  : inflame_stackset_add(r, buf, n, c)) < 0)
			goto fail;
	}
	free(buf);
	return r;
fail:
	free(buf);
	inflame_stackset_free(r);
	return NULL;
}

/* count - base, clamped to the range of int64_t. */
static int64_t stack_delta(uint64_t count, uint64_t base)
{
	if (count >= base)
		return count - base > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)(count - base);
	return base - count > (uint64_t)INT64_MAX ? -INT64_MAX : -(int64_t)(base - count);
}

/* The frames open while walking the stacks: the current path, where each frame started and,
 * for differential sets, the delta of the stacks that ended at it so far. */
struct walk {
	uint32_t *path;
	uint64_t *pstart;
	int64_t *pdelta;
	size_t cap, depth;
	uint64_t x;
	int64_t rootdelta;
};

static int walk_grow(struct walk *w, size_t n)
{
	size_t ncap = w->cap ? w->cap : 64;
	uint32_t *q;
	uint64_t *q2;
	int64_t *q3;

	while (ncap < n)
		ncap *= 2;
	q = realloc(w->path, ncap * sizeof(*q));
	if (!q)
		return -ENOMEM;
	w->path = q;
	q2 = realloc(w->pstart, ncap * sizeof(*q2));
	if (!q2)
		return -ENOMEM;
	w->pstart = q2;
	q3 = realloc(w->pdelta, ncap * sizeof(*q3));
	if (!q3)
		return -ENOMEM;
	w->pdelta = q3;
	w->cap = ncap;
	return 0;
}

/*
 * Walks the stacks in order, closing and opening frames. diff is a constant at each call, so
 * the compiler makes one copy without any delta bookkeeping for the usual, single-count sets.
 */
static inline __attribute__((always_inline)) int
walk_stacks(struct builder *b, struct walk *w, const struct inflame_stackset *ss, const int diff)
{
	size_t nst = inflame_stackset_count(ss);
	int rc;

	for (size_t i = 0; i < nst; i++) {
		const uint32_t *f;
		size_t n, p = 0;
		uint64_t c, base;

		inflame_stackset_get(ss, i, &f, &n, &c);
		base = diff ? inflame_stackset_base(ss, i) : c;
		/* A differential stack that vanished (count 0) still has a delta to give. */
		if (c == 0 && base == 0)
			continue;
		while (p < w->depth && p < n && w->path[p] == f[p])
			p++;
		for (size_t d = w->depth; d > p; d--) {
			rc = emit(b, w->path[d - 1], (uint32_t)d, w->pstart[d - 1], w->x,
				  diff ? w->pdelta[d - 1] : 0);
			if (rc < 0)
				return rc;
		}
		if (n > w->cap && walk_grow(w, n) < 0)
			return -ENOMEM;
		for (size_t d = p; d < n; d++) {
			w->path[d] = f[d];
			w->pstart[d] = w->x;
		}
		w->depth = n;
		if (diff) {
			int64_t d = stack_delta(c, base);

			for (size_t k = p; k < n; k++)
				w->pdelta[k] = 0;
			if (n)
				w->pdelta[n - 1] += d;
			else
				w->rootdelta += d;
		}
		w->x += c;
	}
	for (size_t d = w->depth; d > 0; d--) {
		rc = emit(b, w->path[d - 1], (uint32_t)d, w->pstart[d - 1], w->x,
			  diff ? w->pdelta[d - 1] : 0);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int inflame_flamegraph_layout(struct inflame_stackset *ss, const struct inflame_fg_opts *o,
			      struct inflame_fg_layout *lay)
{
	struct builder b = {.lay = lay};
	struct walk w = {0};
	double usable = o->width - 2 * XPAD;
	int rc = 0;

	memset(lay, 0, sizeof(*lay));
	if (o->reverse) {
		lay->owned = reversed_copy(ss);
		if (!lay->owned)
			return -ENOMEM;
		ss = lay->owned;
	}
	lay->names = ss;
	if (!o->flamechart)
		inflame_stackset_sort(ss);
	lay->diff = inflame_stackset_is_diff(ss);
	lay->maxdelta = 1;
	lay->total = inflame_stackset_total(ss);
	if (o->minwidth_percent)
		b.minw = (double)lay->total * o->minwidth / 100.0;
	else
		b.minw = usable > 0 && lay->total ? o->minwidth * (double)lay->total / usable : 0;
	rc = lay->diff ? walk_stacks(&b, &w, ss, 1) : walk_stacks(&b, &w, ss, 0);
	if (rc < 0)
		goto out;
	if (w.x > 0) {
		b.minw = 0;
		rc = emit(&b, UINT32_MAX, 0, 0, w.x, w.rootdelta);
		if (rc < 0)
			goto out;
	}
	if (lay->n) /* qsort may not be given NULL, even for no elements */
		qsort(lay->frames, lay->n, sizeof(*lay->frames), cmp_frames);
out:
	free(w.path);
	free(w.pstart);
	free(w.pdelta);
	if (rc < 0)
		inflame_flamegraph_layout_free(lay);
	return rc;
}

void inflame_flamegraph_layout_free(struct inflame_fg_layout *lay)
{
	free(lay->frames);
	inflame_stackset_free(lay->owned);
	memset(lay, 0, sizeof(*lay));
}

/* ---- Colours --------------------------------------------------------------------------- */

struct rgb {
	int r, g, b;
};

static uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

/* Three numbers in [0, 1) derived from the name without its module prefix ("mod`fn"). */
static void name_values(const char *s, size_t n, int random, double v[3])
{
	uint64_t h = 0xcbf29ce484222325ull;
	const char *tick = memchr(s, '`', n);

	if (random) {
		for (int i = 0; i < 3; i++)
			v[i] = (double)rand() / ((double)RAND_MAX + 1.0);
		return;
	}
	if (tick) {
		n -= (size_t)(tick + 1 - s);
		s = tick + 1;
	}
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
	for (int i = 0; i < 3; i++)
		v[i] = (double)(mix(h + (uint64_t)i * 0x9e3779b97f4a7c15ull) >> 11) /
		       9007199254740992.0;
}

static int has(const char *s, size_t n, const char *what)
{
	size_t w = strlen(what);

	for (size_t i = 0; i + w <= n; i++)
		if (!memcmp(s + i, what, w))
			return 1;
	return 0;
}

static int ends(const char *s, size_t n, const char *what)
{
	size_t w = strlen(what);

	return n >= w && !memcmp(s + n - w, what, w);
}

static struct rgb basic(enum inflame_fg_palette p, const double v[3])
{
	struct rgb c = {0, 0, 0};
	double v1 = v[0], v2 = v[1], v3 = v[2];

	switch (p) {
	case INFLAME_FG_HOT:
	default:
		c.r = 205 + (int)(50 * v3);
		c.g = (int)(230 * v1);
		c.b = (int)(55 * v2);
		break;
	case INFLAME_FG_MEM:
		c.r = 0;
		c.g = 190 + (int)(50 * v2);
		c.b = (int)(210 * v1);
		break;
	case INFLAME_FG_IO:
		c.r = 80 + (int)(60 * v1);
		c.g = c.r;
		c.b = 190 + (int)(55 * v2);
		break;
	case INFLAME_FG_RED:
		c.r = 200 + (int)(55 * v1);
		c.g = c.b = (int)(80 * v1);
		break;
	case INFLAME_FG_GREEN:
		c.g = 200 + (int)(55 * v1);
		c.r = c.b = (int)(80 * v1);
		break;
	case INFLAME_FG_BLUE:
		c.b = 205 + (int)(50 * v1);
		c.r = c.g = 80 + (int)(60 * v1);
		break;
	case INFLAME_FG_YELLOW:
		c.r = 175 + (int)(55 * v1);
		c.g = c.r;
		c.b = 50 + (int)(20 * v1);
		break;
	case INFLAME_FG_PURPLE:
		c.r = 190 + (int)(65 * v1);
		c.g = 80 + (int)(60 * v1);
		c.b = c.r;
		break;
	case INFLAME_FG_AQUA:
		c.r = 50 + (int)(60 * v1);
		c.g = 165 + (int)(55 * v1);
		c.b = c.g;
		break;
	case INFLAME_FG_ORANGE:
		c.r = 190 + (int)(65 * v1);
		c.g = 90 + (int)(65 * v1);
		c.b = 0;
		break;
	}
	return c;
}

/* The colour of a frame: language palettes pick a hue from the name's shape (annotations
 * "_[k]" kernel, "_[j]" JIT, "_[i]" inlined, "_[w]" waker; packages; C++ scopes), the other
 * palettes vary one hue. */
static struct rgb frame_color(enum inflame_fg_palette p, const char *s, size_t n, int random)
{
	enum inflame_fg_palette hue = p;
	double v[3];

	if (n == 2 && !memcmp(s, "--", 2))
		return (struct rgb){160, 160, 160};
	if (n == 1 && s[0] == '-')
		return (struct rgb){200, 200, 200};
	name_values(s, n, random, v);
	switch (p) {
	case INFLAME_FG_JAVA:
		if (ends(s, n, "_[j]"))
			hue = INFLAME_FG_GREEN;
		else if (ends(s, n, "_[i]"))
			hue = INFLAME_FG_AQUA;
		else if (ends(s, n, "_[k]"))
			hue = INFLAME_FG_ORANGE;
		else if (memchr(s, '/', n) || (n > 5 && (!memcmp(s, "java.", 5))))
			hue = INFLAME_FG_GREEN;
		else if (has(s, n, "::"))
			hue = INFLAME_FG_YELLOW;
		else
			hue = INFLAME_FG_RED;
		break;
	case INFLAME_FG_JS:
		if (ends(s, n, "_[j]"))
			hue = memchr(s, '/', n) ? INFLAME_FG_GREEN : INFLAME_FG_AQUA;
		else if (ends(s, n, "_[k]"))
			hue = INFLAME_FG_ORANGE;
		else if (memchr(s, '/', n))
			hue = INFLAME_FG_GREEN;
		else if (has(s, n, "::"))
			hue = INFLAME_FG_YELLOW;
		else
			hue = INFLAME_FG_RED;
		break;
	case INFLAME_FG_PERL:
		if (ends(s, n, "_[k]"))
			hue = INFLAME_FG_ORANGE;
		else if (has(s, n, "Perl") || has(s, n, ".pl"))
			hue = INFLAME_FG_GREEN;
		else if (has(s, n, "::"))
			hue = INFLAME_FG_YELLOW;
		else
			hue = INFLAME_FG_RED;
		break;
	case INFLAME_FG_WAKEUP:
		hue = INFLAME_FG_AQUA;
		break;
	case INFLAME_FG_CHAIN:
		hue = ends(s, n, "_[w]") ? INFLAME_FG_AQUA : INFLAME_FG_BLUE;
		break;
	default:
		break;
	}
	return basic(hue, v);
}

/*
 * The colour of a differential frame: white for no change, towards red for growth and towards
 * blue for reduction (the other way round with negate), by |delta| / maxdelta, on the same
 * scale as flamegraph.pl so that graphs made by either look alike.
 */
static struct rgb delta_color(int64_t delta, uint64_t maxdelta, int negate)
{
	struct rgb c = {255, 255, 255};
	double mag, max = (double)maxdelta;

	if (negate)
		delta = -delta;
	mag = delta < 0 ? -(double)delta : (double)delta;
	if (mag > max)
		mag = max;
	if (delta > 0)
		c.g = c.b = (int)(210 * (max - mag) / max);
	else if (delta < 0)
		c.r = c.g = (int)(210 * (max - mag) / max);
	return c;
}

/* ---- Consistent palette file (--cp) ---------------------------------------------------- */

struct palmap {
	struct inflame_stackset *names; /* used as a name interner */
	struct rgb *colors;		/* by name id */
	size_t cap;
	size_t assigned; /* ids below this have a colour */
};

static int palmap_put(struct palmap *pm, const char *s, size_t n, struct rgb c)
{
	uint32_t id = inflame_stackset_intern(pm->names, s, n);

	if (id == UINT32_MAX)
		return -ENOMEM;
	if (id >= pm->cap) {
		size_t ncap = pm->cap ? pm->cap * 2 : 256;
		struct rgb *q;

		while (ncap <= id)
			ncap *= 2;
		q = realloc(pm->colors, ncap * sizeof(*q));
		if (!q)
			return -ENOMEM;
		pm->colors = q;
		pm->cap = ncap;
	}
	pm->colors[id] = c;
	if (id >= pm->assigned)
		pm->assigned = id + 1;
	return 0;
}

/* Reads "name->rgb(r,g,b)" lines; a missing file is an empty palette. */
static int palmap_load(struct palmap *pm, const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t lcap = 0;
	ssize_t len;
	int rc = 0;

	pm->names = inflame_stackset_new();
	if (!pm->names)
		return -ENOMEM;
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while ((len = getline(&line, &lcap, f)) > 0) {
		char *arrow = NULL;
		struct rgb c;

		for (ssize_t i = len - 1; i >= 1; i--) {
			if (line[i - 1] == '-' && line[i] == '>') {
				arrow = line + i - 1;
				break;
			}
		}
		if (!arrow || sscanf(arrow, "->rgb(%d,%d,%d)", &c.r, &c.g, &c.b) != 3)
			continue;
		rc = palmap_put(pm, line, (size_t)(arrow - line), c);
		if (rc < 0)
			break;
	}
	free(line);
	fclose(f);
	return rc;
}

/* Writes the palette back: the old entries and the new ones, via a temporary file. */
static int palmap_save(struct palmap *pm, const char *path)
{
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 16);
	FILE *f;
	int rc = 0;

	if (!tmp)
		return -ENOMEM;
	snprintf(tmp, plen + 16, "%s.tmp%ld", path, (long)getpid());
	f = fopen(tmp, "w");
	if (!f) {
		rc = -errno;
		free(tmp);
		return rc;
	}
	for (size_t i = 0; i < inflame_stackset_nframes_total(pm->names); i++) {
		const char *nm = inflame_stackset_name(pm->names, (uint32_t)i, NULL);

		fprintf(f, "%s->rgb(%d,%d,%d)\n", nm, pm->colors[i].r, pm->colors[i].g,
			pm->colors[i].b);
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		rc = -errno;
		unlink(tmp);
	}
	free(tmp);
	return rc;
}

/* ---- SVG writing ----------------------------------------------------------------------- */

/* The length of the valid UTF-8 sequence at s (at most n bytes), 0 when invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	unsigned cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) || cp == 0xfffe || cp == 0xffff)
		return 0;
	return len;
}

/*
 * Writes s[0..n) as XML character data, at most max_chars characters (SIZE_MAX for all);
 * returns the number of characters written. &, <, >, quotes are escaped; control characters
 * and bytes that are not valid UTF-8 become U+FFFD, since XML cannot carry them.
 */
static size_t put_escaped(FILE *out, const char *str, size_t n, size_t max_chars)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t chars = 0, i = 0;

	while (i < n && chars < max_chars) {
		unsigned char c = s[i];
		size_t l;

		switch (c) {
		case '&':
			fputs("&amp;", out);
			i++;
			break;
		case '<':
			fputs("&lt;", out);
			i++;
			break;
		case '>':
			fputs("&gt;", out);
			i++;
			break;
		case '"':
			fputs("&quot;", out);
			i++;
			break;
		case '\'':
			fputs("&apos;", out);
			i++;
			break;
		default:
			if (c < 0x20 && c != '\t') {
				fputs("\xef\xbf\xbd", out);
				i++;
				break;
			}
			l = utf8_len(s + i, n - i);
			if (l == 0) {
				fputs("\xef\xbf\xbd", out);
				i++;
			} else {
				fwrite(s + i, 1, l, out);
				i += l;
			}
		}
		chars++;
	}
	return chars;
}

/* The number of characters put_escaped would write for the whole string. */
static size_t char_count(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t chars = 0, i = 0;

	while (i < n) {
		size_t l = s[i] < 0x80 ? 1 : utf8_len(s + i, n - i);

		i += l ? l : 1;
		chars++;
	}
	return chars;
}

/* Writes s as a JavaScript string literal that is also safe inside CDATA. */
static void put_js_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' ||
		    c == ']')
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

/* Formats v with thousands separators ("1,234,567"). */
static void format_count(char *buf, size_t len, uint64_t v, double factor)
{
	char digits[32];
	size_t n, o = 0;

	if (factor != 1) {
		snprintf(buf, len, "%.6g", (double)v * factor);
		return;
	}
	n = (size_t)snprintf(digits, sizeof(digits), "%llu", (unsigned long long)v);
	for (size_t i = 0; i < n && o + 2 < len; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = 0;
}

static void background(const struct inflame_fg_opts *o, const char **c1, const char **c2)
{
	const char *bg = o->bgcolors;

	if (!bg)
		bg = (o->colors == INFLAME_FG_MEM || o->colors == INFLAME_FG_IO ||
		      o->colors == INFLAME_FG_WAKEUP || o->colors == INFLAME_FG_CHAIN)
			 ? "blue"
			 : "yellow";
	if (!strcmp(bg, "yellow"))
		*c1 = "#eeeeee", *c2 = "#eeeeb0";
	else if (!strcmp(bg, "blue"))
		*c1 = "#eeeeee", *c2 = "#e0e0ff";
	else if (!strcmp(bg, "green"))
		*c1 = "#eef2ee", *c2 = "#e0ffe0";
	else if (!strcmp(bg, "grey") || !strcmp(bg, "gray"))
		*c1 = "#f8f8f8", *c2 = "#e8e8e8";
	else
		*c1 = *c2 = bg; /* validated by the caller */
}

static int valid_bgcolor(const char *bg)
{
	if (!strcmp(bg, "yellow") || !strcmp(bg, "blue") || !strcmp(bg, "green") ||
	    !strcmp(bg, "grey") || !strcmp(bg, "gray"))
		return 1;
	if (strlen(bg) != 7 || bg[0] != '#')
		return 0;
	for (int i = 1; i < 7; i++)
		if (!strchr("0123456789abcdefABCDEF", bg[i]))
			return 0;
	return 1;
}

static void put_header(FILE *out, const struct inflame_fg_opts *o, double height, const char *title,
		       uint64_t total)
{
	const char *bg1, *bg2;
	const char *font = o->fonttype ? o->fonttype : "Verdana";
	double fs = o->fontsize, w = o->width;
	double ypad1 = fs * 3 + (o->subtitle ? fs * 2 : 0), ypad2 = fs * 2 + 10;

	background(o, &bg1, &bg2);
	fprintf(out,
		"<?xml version=\"1.0\" standalone=\"no\"?>\n"
		"<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" "
		"\"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd\">\n"
		"<svg version=\"1.1\" width=\"%g\" height=\"%g\" onload=\"init(evt)\" "
		"viewBox=\"0 0 %g %g\" xmlns=\"http://www.w3.org/2000/svg\" "
		"xmlns:xlink=\"http://www.w3.org/1999/xlink\" "
		"xmlns:fg=\"urn:inflame:flamegraph\">\n"
		"<!-- Flame graph written by inflame " PACKAGE_VERSION " -->\n",
		w, height, w, height);
	if (o->notes) {
		fputs("<desc id=\"notes\">", out);
		put_escaped(out, o->notes, strlen(o->notes), SIZE_MAX);
		fputs("</desc>\n", out);
	}
	fprintf(out,
		"<defs><linearGradient id=\"background\" y1=\"0\" y2=\"1\" x1=\"0\" x2=\"0\">"
		"<stop stop-color=\"%s\" offset=\"5%%\"/><stop stop-color=\"%s\" "
		"offset=\"95%%\"/></linearGradient></defs>\n",
		bg1, bg2);
	fputs("<style type=\"text/css\">\ntext { font-family:", out);
	put_escaped(out, font, strlen(font), SIZE_MAX);
	fprintf(out,
		", sans-serif; font-size:%gpx; fill:rgb(0,0,0); }\n"
		"#search, #ignorecase { opacity:0.1; cursor:pointer; }\n"
		"#search:hover, #search.show, #ignorecase:hover, #ignorecase.show { opacity:1; }\n"
		"#subtitle { text-anchor:middle; font-color:rgb(160,160,160); }\n"
		"#title { text-anchor:middle; font-size:%gpx; }\n"
		"#unzoom { cursor:pointer; }\n"
		"#frames > *:hover { stroke:black; stroke-width:0.5; cursor:pointer; }\n"
		".hide { display:none; }\n"
		".parent { opacity:0.5; }\n"
		"</style>\n",
		fs, fs + 5);
	fputs("<script type=\"text/ecmascript\"><![CDATA[\n", out);
	fprintf(out, "var fg_cfg = {fontsize: %g, fontwidth: %g, xpad: %g, width: %g, ", fs,
		o->fontwidth, XPAD, w);
	fprintf(out, "inverted: %s, total: %llu, nametype: ", o->inverted ? "true" : "false",
		(unsigned long long)total);
	put_js_string(out, o->nametype ? o->nametype : "Function:");
	fputs("};\n", out);
	fwrite(inflame_flamegraph_js, 1, sizeof(inflame_flamegraph_js) - 1, out);
	fputs("]]></script>\n", out);
	fprintf(out,
		"<rect x=\"0\" y=\"0\" width=\"%g\" height=\"%g\" fill=\"url(#background)\"/>\n", w,
		height);
	fprintf(out, "<text id=\"title\" x=\"%g\" y=\"%g\">", w / 2, fs * 2);
	put_escaped(out, title, strlen(title), SIZE_MAX);
	fputs("</text>\n", out);
	if (o->subtitle) {
		fprintf(out, "<text id=\"subtitle\" x=\"%g\" y=\"%g\">", w / 2, fs * 4);
		put_escaped(out, o->subtitle, strlen(o->subtitle), SIZE_MAX);
		fputs("</text>\n", out);
	}
	fprintf(out, "<text id=\"details\" x=\"%g\" y=\"%g\"> </text>\n", XPAD, height - ypad2 / 2);
	fprintf(out, "<text id=\"unzoom\" x=\"%g\" y=\"%g\" class=\"hide\">Reset Zoom</text>\n",
		XPAD, fs * 2);
	fprintf(out, "<text id=\"search\" x=\"%g\" y=\"%g\">Search</text>\n", w - XPAD - 100,
		fs * 2);
	fprintf(out, "<text id=\"ignorecase\" x=\"%g\" y=\"%g\">ic</text>\n", w - XPAD - 16,
		fs * 2);
	fprintf(out, "<text id=\"matched\" x=\"%g\" y=\"%g\"> </text>\n", w - XPAD - 100,
		height - ypad2 / 2);
	(void)ypad1;
}

int inflame_flamegraph_write(struct inflame_stackset *ss, const struct inflame_fg_opts *o,
			     FILE *out, char *err, size_t errlen)
{
	struct inflame_fg_layout lay;
	struct palmap pm = {0};
	const char *title = o->title;
	const char *countname = o->countname ? o->countname : "samples";
	double fs = o->fontsize, fh = o->frameheight;
	double ypad1 = fs * 3 + (o->subtitle ? fs * 2 : 0), ypad2 = fs * 2 + 10;
	double height, wpt;
	int rc;

	if (o->width <= 2 * XPAD || !(o->width < 1e6) || !(fh > 1) || !(fh < 1e4) || !(fs > 0) ||
	    !(fs < 1e4) || !(o->fontwidth > 0) || !(o->minwidth >= 0)) {
		snprintf(err, errlen,
			 "width, height, font size and minimum width are out of range");
		return -EINVAL;
	}
	if (o->bgcolors && !valid_bgcolor(o->bgcolors)) {
		snprintf(err, errlen,
			 "unknown background '%s' (yellow, blue, green, grey, #rrggbb)",
			 o->bgcolors);
		return -EINVAL;
	}
	if (!title)
		title = o->flamechart ? "Flame Chart"
			: o->inverted ? "Icicle Graph"
				      : "Flame Graph";
	if (o->random)
		srand((unsigned)time(NULL));
	if (o->palette_file) {
		rc = palmap_load(&pm, o->palette_file);
		if (rc < 0) {
			snprintf(err, errlen, "cannot read palette %s: %s", o->palette_file,
				 strerror(-rc));
			goto out_pal;
		}
	}
	rc = inflame_flamegraph_layout(ss, o, &lay);
	if (rc < 0) {
		snprintf(err, errlen, "out of memory");
		goto out_pal;
	}
	if (lay.total == 0) {
		height = fs * 5;
		put_header(out, o, height, title, 0);
		fprintf(out,
			"<text x=\"%g\" y=\"%g\" style=\"text-anchor:middle\">ERROR: no stack "
			"counts found</text>\n</svg>\n",
			o->width / 2, fs * 4);
		snprintf(err, errlen, "no stack counts found");
		rc = -ENODATA;
		goto out;
	}
	height = (lay.maxdepth + 1) * fh + ypad1 + ypad2;
	wpt = (o->width - 2 * XPAD) / (double)lay.total;
	put_header(out, o, height, title, lay.total);
	fputs("<g id=\"frames\">\n", out);
	for (size_t i = 0; i < lay.n; i++) {
		const struct inflame_fg_frame *f = &lay.frames[i];
		const char *name = "all";
		size_t nlen = 3, chars, nchars;
		double x1 = XPAD + (double)f->start * wpt, x2 = XPAD + (double)f->end * wpt;
		double y1, y2;
		uint64_t count = f->end - f->start;
		char cbuf[48];
		struct rgb c;

		if (f->name != UINT32_MAX)
			name = inflame_stackset_name(lay.names, f->name, &nlen);
		if (o->inverted) {
			y1 = ypad1 + f->depth * fh;
			y2 = ypad1 + (f->depth + 1) * fh - FRAMEPAD;
		} else {
			y1 = height - ypad2 - (f->depth + 1) * fh + FRAMEPAD;
			y2 = height - ypad2 - f->depth * fh;
		}
		if (lay.diff && !(nlen == 2 && !memcmp(name, "--", 2)) &&
		    !(nlen == 1 && name[0] == '-')) {
			/* Separator frames keep their greys, as in flamegraph.pl. */
			c = delta_color(f->delta, lay.maxdelta, o->negate);
		} else if (pm.names) {
			uint32_t id = inflame_stackset_intern(pm.names, name, nlen);

			if (id == UINT32_MAX) {
				rc = -ENOMEM;
				snprintf(err, errlen, "out of memory");
				goto out;
			}
			if (id < pm.assigned) {
				c = pm.colors[id];
			} else {
				c = frame_color(o->colors, name, nlen, o->random);
				rc = palmap_put(&pm, name, nlen, c);
				if (rc < 0) {
					snprintf(err, errlen, "out of memory");
					goto out;
				}
			}
		} else {
			c = frame_color(o->colors, name, nlen, o->random);
		}
		format_count(cbuf, sizeof(cbuf), count, o->factor);
		fprintf(out, "<g fg:x=\"%llu\" fg:w=\"%llu\"><title>", (unsigned long long)f->start,
			(unsigned long long)count);
		put_escaped(out, name, nlen, SIZE_MAX);
		fprintf(out, " (%s %s, %.2f%%", cbuf, countname,
			100.0 * (double)count / (double)lay.total);
		if (lay.diff && f->name != UINT32_MAX) {
			/* The change as a share of the total, signed ("+1.23%", "-0.50%"). */
			int64_t d = o->negate ? -f->delta : f->delta;

			fprintf(out, "; %s%.2f%%", d > 0 ? "+" : "",
				(double)d * 100.0 / (double)lay.total);
		}
		fputs(")</title>", out);
		fprintf(out,
			"<rect x=\"%.2f\" y=\"%g\" width=\"%.2f\" height=\"%g\" "
			"fill=\"rgb(%d,%d,%d)\" rx=\"2\" ry=\"2\"/>",
			x1, y1, x2 - x1, y2 - y1, c.r, c.g, c.b);
		fprintf(out, "<text x=\"%.2f\" y=\"%.1f\">", x1 + 3, 3 + (y1 + y2) / 2);
		chars = (size_t)((x2 - x1) / (fs * o->fontwidth));
		if (chars >= 3) {
			nchars = char_count(name, nlen);
			if (nchars <= chars) {
				put_escaped(out, name, nlen, SIZE_MAX);
			} else {
				put_escaped(out, name, nlen, chars - 2);
				fputs("..", out);
			}
		}
		fputs("</text></g>\n", out);
	}
	fputs("</g>\n</svg>\n", out);
	rc = 0;
	if (pm.names) {
		rc = palmap_save(&pm, o->palette_file);
		if (rc < 0)
			snprintf(err, errlen, "cannot write palette %s: %s", o->palette_file,
				 strerror(-rc));
	}
out:
	inflame_flamegraph_layout_free(&lay);
out_pal:
	inflame_stackset_free(pm.names);
	free(pm.colors);
	if (rc == 0 && ferror(out)) {
		snprintf(err, errlen, "write error");
		rc = -EIO;
	}
	return rc;
}
