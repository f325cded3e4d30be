/*
 * The viewer's page (html.h): the HTML around the viewer's script, and the JSON data block.
 *
 * The data follow doc/viewer-data.md (version 1; the contract with viewer.js). Every frame name of
 * every view is one entry of the frame table, its name one entry of the string table (index 0 is
 * ""); the call tree merges the stacks of all views (and of the baseline of a differential page),
 * so a node means the same call path in every view. Each view lists its distinct stacks as leaf
 * nodes with weights and, when it has a timeline, every sample in time order: leaf node,
 * weight, time (delta-encoded from the previous sample), thread, and the free time of
 * allocations. Threads are those of all timelines, merged by process and thread id. A frame's
 * module, file and line come from the stack sets' frame metadata (inflame_stackset_meta(), the
 * first set that has any for the name), else "" and 0. The tree goes depth first, as each
 * node's depth. In a page every integer array is a blob (struct arrays: typed little-endian
 * values in base64 elements of 128 KiB before the data block, deflated when that pays); the
 * data block alone has them compact ({"n":N,"zv":base64 of zigzag varints}, see the doc).
 *
 * Memory: a hash table of names, the node arrays (three integers per call path), and per view
 * an array that maps each stack to its node; the tree is built by sorting the stacks
 * (build_tree), without a table of nodes. The data block is made in memory (it is small: the
 * arrays are in the blobs) while the blobs are written.
 *
 * The viewer's script is compiled in (viewer_js.h from tools/output/viewer.js). Text that
 * could end the script element early ("</script" in any case) is written as "<\/script".
 */
#include "output/html.h"

#include "output/json.h"
#include "output/viewer_js.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t ncap = *cap ? *cap : 256;
	void *np;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	np = realloc(*p, ncap * elem);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = ncap;
	return 0;
}

static uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h ^ h >> 32;
}

struct page {
	/* Strings: the names (pointers into the stack sets and timelines). */
	const char **str;
	size_t *str_len;
	size_t nstr, str_cap, str_len_cap;
	uint32_t *str_hash; /* index + 1 */
	size_t str_hash_size;

	/* Frames: string index of each (frames are distinct names). */
	uint32_t *frame_str;
	size_t nframes, frame_cap;
	uint32_t *frame_of_str;			      /* string index -> frame + 1 */
	const struct inflame_frame_meta **frame_meta; /* by frame, NULL when unknown */
	size_t frame_meta_cap;
	uint32_t *frame_module, *frame_file; /* string indexes, made before writing */
	size_t frame_of_str_cap;

	/* Nodes: parent, frame, depth (the root's 0). */
	int32_t *parent;
	int32_t *frame;
	uint32_t *depth;
	size_t nnodes, parent_cap, frame_cap2, depth_cap;

	/* Threads of all timelines: (timeline index, thread index) via per-view maps. */
	struct {
		uint64_t pid, tid;
		uint32_t name;
		int exited;
	} * threads;
	size_t nthreads, threads_cap;
};

static int str_rehash(struct page *p)
{
	size_t size = p->str_hash_size ? p->str_hash_size * 2 : 1024;
	uint32_t *h = calloc(size, sizeof(*h));

	if (!h)
		return -ENOMEM;
	for (size_t i = 0; i < p->nstr; i++) {
		size_t k = hash_bytes(p->str[i], p->str_len[i]) & (size - 1);

		while (h[k])
			k = (k + 1) & (size - 1);
		h[k] = (uint32_t)(i + 1);
	}
	free(p->str_hash);
	p->str_hash = h;
	p->str_hash_size = size;
	return 0;
}

/* The string index of s (n bytes), added if new; UINT32_MAX when out of memory. */
static uint32_t intern(struct page *p, const char *s, size_t n)
{
	size_t k;

	if ((p->nstr + 1) * 2 > p->str_hash_size && str_rehash(p) < 0)
		return UINT32_MAX;
	for (k = hash_bytes(s, n) & (p->str_hash_size - 1); p->str_hash[k];
	     k = (k + 1) & (p->str_hash_size - 1)) {
		uint32_t i = p->str_hash[k] - 1;

		if (p->str_len[i] == n && !memcmp(p->str[i], s, n))
			return i;
	}
	if (p->nstr >= UINT32_MAX - 1 ||
	    grow((void **)&p->str, &p->str_cap, p->nstr + 1, sizeof(*p->str)) < 0 ||
	    grow((void **)&p->str_len, &p->str_len_cap, p->nstr + 1, sizeof(*p->str_len)) < 0)
		return UINT32_MAX;
	p->str[p->nstr] = s;
	p->str_len[p->nstr] = n;
	p->str_hash[k] = (uint32_t)(p->nstr + 1);
	return (uint32_t)p->nstr++;
}

/* The frame of name s; UINT32_MAX when out of memory. */
static uint32_t frame_of(struct page *p, const char *s, size_t n,
			 const struct inflame_frame_meta *m)
{
	uint32_t si = intern(p, s, n);
	size_t old = p->frame_of_str_cap;

	if (si == UINT32_MAX ||
	    grow((void **)&p->frame_of_str, &p->frame_of_str_cap, si + 1, sizeof(uint32_t)) < 0)
		return UINT32_MAX;
	if (p->frame_of_str_cap > old)
		memset(p->frame_of_str + old, 0, (p->frame_of_str_cap - old) * sizeof(uint32_t));
	if (!p->frame_of_str[si]) {
		if (grow((void **)&p->frame_str, &p->frame_cap, p->nframes + 1,
			 sizeof(*p->frame_str)) < 0)
			return UINT32_MAX;
		if (grow((void **)&p->frame_meta, &p->frame_meta_cap, p->nframes + 1,
			 sizeof(*p->frame_meta)) < 0)
			return UINT32_MAX;
		p->frame_meta[p->nframes] = NULL;
		p->frame_str[p->nframes++] = si;
		p->frame_of_str[si] = (uint32_t)p->nframes;
	}
	if (m && !p->frame_meta[p->frame_of_str[si] - 1])
		p->frame_meta[p->frame_of_str[si] - 1] = m;
	return p->frame_of_str[si] - 1;
}

/* The sets whose stacks make the tree, with each one's names as frames (for the sort). */
static const struct inflame_stackset *const *sort_sets;
static uint32_t *const *sort_fmaps;

struct item {
	uint32_t set, idx;
};

/* Orders stacks by their frames from the root (frame indexes, a prefix first). */
static int cmp_items(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	const uint32_t *fx, *fy, *mx = sort_fmaps[x->set], *my = sort_fmaps[y->set];
	size_t nx, ny;
	uint64_t c;

	inflame_stackset_get(sort_sets[x->set], x->idx, &fx, &nx, &c);
	inflame_stackset_get(sort_sets[y->set], y->idx, &fy, &ny, &c);
	for (size_t k = 0; k < nx && k < ny; k++) {
		uint32_t u = mx[fx[k]], v = my[fy[k]];

		if (u != v)
			return u < v ? -1 : 1;
	}
	return (nx > ny) - (nx < ny);
}

/* Orders frames by name (bytes, a prefix first), for number_frames_by_name. */
static const struct page *sort_page;

static int cmp_frames(const void *a, const void *b)
{
	uint32_t x = sort_page->frame_str[*(const uint32_t *)a];
	uint32_t y = sort_page->frame_str[*(const uint32_t *)b];
	size_t nx = sort_page->str_len[x], ny = sort_page->str_len[y];
	int c = memcmp(sort_page->str[x], sort_page->str[y], nx < ny ? nx : ny);

	return c ? c : (nx > ny) - (nx < ny);
}

/*
 * Numbers the frames in the order of their names and renames them so in the sets' maps: the
 * tree, built in frame order, then has every node's children in name order, the order the
 * viewer lays them out in, so it has nothing to sort.
 */
static int number_frames_by_name(struct page *p, uint32_t *const *fmaps,
				 const struct inflame_stackset *const *sets, size_t n)
{
	uint32_t *order = malloc((p->nframes ? p->nframes : 1) * sizeof(*order));
	uint32_t *renum = malloc((p->nframes ? p->nframes : 1) * sizeof(*renum));
	uint32_t *str = malloc((p->nframes ? p->nframes : 1) * sizeof(*str));
	const struct inflame_frame_meta **meta =
	    malloc((p->nframes ? p->nframes : 1) * sizeof(*meta));

	if (!order || !renum || !str || !meta) {
		free(order);
		free(renum);
		free(str);
		free(meta);
		return -ENOMEM;
	}
	for (size_t f = 0; f < p->nframes; f++)
		order[f] = (uint32_t)f;
	sort_page = p;
	qsort(order, p->nframes, sizeof(*order), cmp_frames);
	for (size_t r = 0; r < p->nframes; r++) {
		renum[order[r]] = (uint32_t)r;
		str[r] = p->frame_str[order[r]];
		meta[r] = p->frame_meta[order[r]];
	}
	memcpy(p->frame_str, str, p->nframes * sizeof(*str));
	memcpy(p->frame_meta, meta, p->nframes * sizeof(*meta));
	for (size_t r = 0; r < p->nframes; r++)
		p->frame_of_str[p->frame_str[r]] = (uint32_t)r + 1;
	for (size_t s = 0; s < n; s++)
		for (size_t i = 0; i < inflame_stackset_nframes_total(sets[s]); i++)
			fmaps[s][i] = renum[fmaps[s][i]];
	free(order);
	free(renum);
	free(str);
	free(meta);
	return 0;
}

/*
 * Builds the call tree of the stacks of sets[0..n) and gives each stack its leaf node
 * (nodes[s][i]). The stacks of all sets are sorted by their frames from the root; then each
 * shares with the one before it exactly the nodes of their common prefix (in sorted order no
 * earlier stack shares more), and its other frames are new nodes. So the tree is built with
 * no hash table, in depth-first order, and memory is two integers per node. Frames are
 * numbered by name first, so siblings come in name order.
 */
static int build_tree(struct page *p, const struct inflame_stackset *const *sets, size_t n,
		      uint32_t **nodes)
{
	uint32_t **fmaps = calloc(n ? n : 1, sizeof(*fmaps));
	struct item *items = NULL;
	uint32_t *path = NULL;
	size_t nitems = 0, path_cap = 0, k, bound = 0;
	const uint32_t *prev = NULL, *prev_map = NULL;
	size_t prev_n = 0;
	int rc = -ENOMEM;

	if (!fmaps)
		return -ENOMEM;
	for (size_t s = 0; s < n; s++) {
		size_t nnames = inflame_stackset_nframes_total(sets[s]);
		size_t count = inflame_stackset_count(sets[s]);

		fmaps[s] = malloc((nnames ? nnames : 1) * sizeof(**fmaps));
		nodes[s] = malloc((count ? count : 1) * sizeof(**nodes));
		if (!fmaps[s] || !nodes[s])
			goto out;
		for (size_t i = 0; i < nnames; i++) {
			size_t len;
			const char *name = inflame_stackset_name(sets[s], (uint32_t)i, &len);

			fmaps[s][i] =
			    frame_of(p, name, len, inflame_stackset_meta(sets[s], (uint32_t)i));
			if (fmaps[s][i] == UINT32_MAX)
				goto out;
		}
		nitems += count;
	}
	if (number_frames_by_name(p, fmaps, sets, n) < 0)
		goto out;
	items = malloc((nitems ? nitems : 1) * sizeof(*items));
	if (!items)
		goto out;
	nitems = 0;
	for (size_t s = 0; s < n; s++) {
		for (size_t i = 0; i < inflame_stackset_count(sets[s]); i++) {
			const uint32_t *f;
			size_t nf;
			uint64_t c;

			inflame_stackset_get(sets[s], i, &f, &nf, &c);
			bound += nf;
			items[nitems++] = (struct item){(uint32_t)s, (uint32_t)i};
		}
	}
	/* The node arrays at their most at once: growing them copied and faulted in each twice. */
	if (grow((void **)&p->parent, &p->parent_cap, p->nnodes + bound, sizeof(*p->parent)) < 0 ||
	    grow((void **)&p->frame, &p->frame_cap2, p->nnodes + bound, sizeof(*p->frame)) < 0 ||
	    grow((void **)&p->depth, &p->depth_cap, p->nnodes + bound, sizeof(*p->depth)) < 0)
		goto out;
	sort_sets = sets;
	sort_fmaps = fmaps;
	qsort(items, nitems, sizeof(*items), cmp_items);
	for (size_t i = 0; i < nitems; i++) {
		const uint32_t *f, *map = fmaps[items[i].set];
		size_t nf;
		uint64_t c;
		uint32_t node;

		inflame_stackset_get(sets[items[i].set], items[i].idx, &f, &nf, &c);
		if (grow((void **)&path, &path_cap, nf + 1, sizeof(*path)) < 0)
			goto out;
		for (k = 0; k < nf && k < prev_n && map[f[k]] == prev_map[prev[k]]; k++)
			;
		node = k ? path[k - 1] : 0;
		for (; k < nf; k++) {
			if (p->nnodes >= INT32_MAX ||
			    grow((void **)&p->parent, &p->parent_cap, p->nnodes + 1,
				 sizeof(*p->parent)) < 0 ||
			    grow((void **)&p->frame, &p->frame_cap2, p->nnodes + 1,
				 sizeof(*p->frame)) < 0 ||
			    grow((void **)&p->depth, &p->depth_cap, p->nnodes + 1,
				 sizeof(*p->depth)) < 0)
				goto out;
			p->parent[p->nnodes] = (int32_t)node;
			p->frame[p->nnodes] = (int32_t)map[f[k]];
			p->depth[p->nnodes] = (uint32_t)k + 1;
			node = (uint32_t)p->nnodes++;
			path[k] = node;
		}
		nodes[items[i].set][items[i].idx] = node;
		prev = f;
		prev_n = nf;
		prev_map = map;
	}
	rc = 0;
out:
	for (size_t s = 0; s < n; s++)
		free(fmaps[s]);
	free(fmaps);
	free(items);
	free(path);
	return rc;
}

/* Maps every thread of tl to its index in the page's threads (*out). */
static int thread_map(struct page *p, const struct inflame_timeline *tl, uint32_t **out)
{
	uint32_t *m = malloc((tl->nthreads ? tl->nthreads : 1) * sizeof(*m));

	if (!m)
		return -ENOMEM;
	for (size_t i = 0; i < tl->nthreads; i++) {
		const struct inflame_timeline_thread *t = &tl->threads[i];
		size_t k;

		for (k = 0; k < p->nthreads; k++)
			if (p->threads[k].pid == t->pid && p->threads[k].tid == t->tid)
				break;
		if (k == p->nthreads) {
			uint32_t name = intern(p, t->name, strlen(t->name));

			if (name == UINT32_MAX || grow((void **)&p->threads, &p->threads_cap,
						       p->nthreads + 1, sizeof(*p->threads)) < 0) {
				free(m);
				return -ENOMEM;
			}
			p->threads[k].pid = t->pid;
			p->threads[k].tid = t->tid;
			p->threads[k].name = name;
			p->threads[k].exited = t->exited;
			p->nthreads++;
		}
		p->threads[k].exited |= t->exited;
		m[i] = (uint32_t)k;
	}
	*out = m;
	return 0;
}

/*
 * Base64 (standard alphabet, '=' padded) of a byte stream, into the JSON text (compact arrays)
 * or into the page's blob elements: <script type="application/octet-stream" data-b="K">,
 * BLOB_PIECE characters each (a multiple of 4, so every piece decodes alone). The text holds
 * only [A-Za-z0-9+/=], so it needs no escaping inside a script element.
 */
#define BLOB_PIECE 131072

struct b64 {
	struct inflame_json *j;
	int blob;     /* 1: in blob elements, else in the JSON text */
	unsigned id;  /* the blob's number */
	size_t piece; /* characters written since the first element opened */
	unsigned char in[3];
	int nin;
	size_t nout;
	char out[4096];
};

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void b64_flush(struct b64 *b)
{
	inflame_json_raw(b->j, b->out, b->nout);
	b->nout = 0;
}

static void b64_quad(struct b64 *b, char c0, char c1, char c2, char c3)
{
	if (b->blob && b->piece % BLOB_PIECE == 0) {
		b64_flush(b);
		if (b->piece)
			inflame_json_lit(b->j, "</script>\n");
		inflame_json_lit(b->j, "<script type=\"application/octet-stream\" data-b=\"");
		inflame_json_u64(b->j, b->id);
		inflame_json_lit(b->j, "\">");
	}
	if (b->nout + 4 > sizeof(b->out))
		b64_flush(b);
	b->out[b->nout++] = c0;
	b->out[b->nout++] = c1;
	b->out[b->nout++] = c2;
	b->out[b->nout++] = c3;
	b->piece += 4;
}

static void b64_byte(struct b64 *b, unsigned char c)
{
	b->in[b->nin++] = c;
	if (b->nin < 3)
		return;
	b64_quad(b, b64[b->in[0] >> 2], b64[(b->in[0] & 3) << 4 | b->in[1] >> 4],
		 b64[(b->in[1] & 15) << 2 | b->in[2] >> 6], b64[b->in[2] & 63]);
	b->nin = 0;
}

/* n bytes: whole groups of three straight to characters. */
static void b64_bytes(struct b64 *b, const unsigned char *s, size_t n)
{
	for (; n && b->nin; n--)
		b64_byte(b, *s++);
	for (; n >= 3; s += 3, n -= 3)
		b64_quad(b, b64[s[0] >> 2], b64[(s[0] & 3) << 4 | s[1] >> 4],
			 b64[(s[1] & 15) << 2 | s[2] >> 6], b64[s[2] & 63]);
	for (; n; n--)
		b64_byte(b, *s++);
}

static void b64_end(struct b64 *b)
{
	if (b->nin) {
		unsigned char x = b->in[0], y = b->nin > 1 ? b->in[1] : 0;

		b64_quad(b, b64[x >> 2], b64[(x & 3) << 4 | y >> 4],
			 b->nin > 1 ? b64[(y & 15) << 2] : '=', '=');
		b->nin = 0;
	}
	b64_flush(b);
	if (b->blob && b->piece)
		inflame_json_lit(b->j, "</script>\n");
}

/*
 * Where the integer arrays go. In a page (page set): each is a blob, its values little-endian
 * in the narrowest of u8, u16, u32, i8, i16, i32 that holds them (f64 past 32 bits), the bytes
 * deflated (raw deflate) when that saves a quarter of the first MiB (inflating in the browser
 * costs more than reading the bytes saved, below that); the JSON holds
 * {"n":N,"t":"u16","b":K,"z":1}. Unsigned values of 9 to 15 or 17 to 23 bits are packed in
 * that many bits instead (pack_bits, type "u12" and so on) unless deflate saves a quarter and
 * more than that. Else (the data alone) compact text in the JSON: {"n":N,"zv":"..."}, N
 * integers as zigzag LEB128 varints (7 bits a byte, low group first, the high bit set on all
 * bytes but the last; zigzag maps v >= 0 to 2v and v < 0 to -2v-1) in
 * base64. Both forms are in doc/viewer-data.md.
 */
struct arrays {
	struct inflame_json *j;	   /* the data object's text */
	struct inflame_json *page; /* the page, for the blobs; NULL: compact text */
	unsigned nblobs;
	int err; /* -ENOMEM when zlib had no memory */
};

/* Value i of an array (ctx: what the array is made from). */
typedef int64_t (*value_fn)(const void *ctx, size_t i);

#define BLOB_CHUNK (1u << 20)

struct packer {
	struct arrays *a;
	struct b64 b;
	z_stream z;
	int decided, deflating;
	size_t len;
	unsigned char buf[BLOB_CHUNK], zout[1 << 16];
};

/*
 * Deflates the first chunk alone: 1 when that saves at least a quarter and, with bits set,
 * gives fewer bytes than packing its values (w bytes each) in bits bits would.
 */
static int worth_deflating(struct packer *k, int bits, int w)
{
	z_stream z = {0};
	uLong bound;
	unsigned char *tmp;
	int keep;

	if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	bound = deflateBound(&z, (uLong)k->len);
	tmp = malloc(bound);
	if (!tmp) {
		deflateEnd(&z);
		return -ENOMEM;
	}
	z.next_in = k->buf;
	z.avail_in = (uInt)k->len;
	z.next_out = tmp;
	z.avail_out = (uInt)bound;
	keep = deflate(&z, Z_FINISH) == Z_STREAM_END && z.total_out * 4 <= (uLong)k->len * 3 &&
	       (!bits || z.total_out * 8 * (uLong)w < (uLong)k->len * (uLong)bits);
	deflateEnd(&z);
	free(tmp);
	return keep;
}

/* Writes the packed bytes out (the last time: last set). */
static int pack_flush(struct packer *k, int last)
{
	if (!k->decided) {
		int d = worth_deflating(k, 0, 0);

		if (d < 0)
			return d;
		k->decided = 1;
		k->deflating = d;
		k->z = (z_stream){0};
		if (d && deflateInit2(&k->z, Z_BEST_SPEED, Z_DEFLATED, -15, 8,
				      Z_DEFAULT_STRATEGY) != Z_OK) {
			k->deflating = 0;
			return -ENOMEM;
		}
	}
	if (!k->deflating) {
		b64_bytes(&k->b, k->buf, k->len);
		k->len = 0;
		return 0;
	}
	k->z.next_in = k->buf;
	k->z.avail_in = (uInt)k->len;
	do {
		int zr;

		k->z.next_out = k->zout;
		k->z.avail_out = sizeof(k->zout);
		zr = deflate(&k->z, last ? Z_FINISH : Z_NO_FLUSH);
		if (zr == Z_STREAM_ERROR)
			return -ENOMEM;
		b64_bytes(&k->b, k->zout, (size_t)(k->z.next_out - k->zout));
	} while (k->z.avail_out == 0 || k->z.avail_in > 0);
	k->len = 0;
	return 0;
}

static const char *const type_names[] = {"u8", "u16", "u32", "i8", "i16", "i32", "f64"};

/* The narrowest type for values in [lo, hi]: an index into type_names. */
static int type_of(int64_t lo, int64_t hi)
{
	if (lo >= 0)
		return hi <= UINT8_MAX ? 0 : hi <= UINT16_MAX ? 1 : hi <= UINT32_MAX ? 2 : 6;
	if (lo >= INT8_MIN && hi <= INT8_MAX)
		return 3;
	if (lo >= INT16_MIN && hi <= INT16_MAX)
		return 4;
	return lo >= INT32_MIN && hi <= INT32_MAX ? 5 : 6;
}

/* The first chunk of n values of get, w bytes each, into k->buf (k->len). */
static void fill_first(struct packer *k, size_t n, value_fn get, const void *ctx, int w)
{
	k->len = 0;
	for (size_t i = 0; i < n && k->len + 8 <= BLOB_CHUNK; i++) {
		uint64_t u = (uint64_t)get(ctx, i);

		for (int b = 0; b < w; b++)
			k->buf[k->len++] = (unsigned char)(u >> (8 * b));
	}
}

/*
 * n values of bits bits each (9 to 23), packed most significant bit first, the last byte
 * padded with zero bits: random frame numbers below 4096 take 12 bits of the 16 of a u16,
 * and deflate saves them little (see blob_array).
 */
static int pack_bits(struct packer *k, size_t n, value_fn get, const void *ctx, int bits)
{
	uint64_t acc = 0;
	int nacc = 0;

	k->len = 0;
	for (size_t i = 0; i < n; i++) {
		acc = acc << bits | (uint64_t)get(ctx, i);
		for (nacc += bits; nacc >= 8; nacc -= 8)
			k->buf[k->len++] = (unsigned char)(acc >> (nacc - 8));
		acc &= (1u << nacc) - 1;
		if (k->len + 8 > BLOB_CHUNK) {
			b64_bytes(&k->b, k->buf, k->len);
			k->len = 0;
		}
	}
	if (nacc)
		k->buf[k->len++] = (unsigned char)(acc << (8 - nacc));
	b64_bytes(&k->b, k->buf, k->len);
	k->len = 0;
	return 0;
}

static void blob_array(struct arrays *a, const char *key, size_t n, value_fn get, const void *ctx)
{
	static const int width[] = {1, 2, 4, 1, 2, 4, 8};
	struct packer *k;
	int64_t lo = 0, hi = 0;
	int t, w, bits = 0, rc = 0;

	for (size_t i = 0; i < n; i++) {
		int64_t v = get(ctx, i);

		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
	}
	t = type_of(lo, hi);
	w = width[t];
	k = malloc(sizeof(*k));
	if (!k) {
		a->err = -ENOMEM;
		return;
	}
	k->a = a;
	k->b = (struct b64){.j = a->page, .blob = 1, .id = a->nblobs};
	k->decided = k->deflating = 0;
	k->len = 0;
	/* Values of u16 or u32 that fit fewer bits, when deflate would not save more. */
	if (t == 1 || t == 2) {
		while (bits < 63 && hi >> bits)
			bits++;
		if (bits == 16 || bits > 23 || bits < 9)
			bits = 0;
	}
	if (bits) {
		fill_first(k, n, get, ctx, w);
		rc = worth_deflating(k, bits, w);
		if (rc == 0)
			rc = pack_bits(k, n, get, ctx, bits);
		else if (rc > 0)
			bits = rc = 0;
		k->len = 0;
	}
	for (size_t i = 0; i < n && rc == 0 && !bits; i++) {
		int64_t v = get(ctx, i);
		uint64_t u = (uint64_t)v;

		if (t == 6) {
			double d = (double)v;

			memcpy(&u, &d, sizeof(u));
		}
		for (int b = 0; b < w; b++)
			k->buf[k->len++] = (unsigned char)(u >> (8 * b));
		if (k->len + 8 > BLOB_CHUNK)
			rc = pack_flush(k, 0);
	}
	if (rc == 0 && !bits && (n || k->decided))
		rc = pack_flush(k, 1);
	if (k->deflating)
		deflateEnd(&k->z);
	b64_end(&k->b);
	inflame_json_lit(a->j, "\"");
	inflame_json_lit(a->j, key);
	inflame_json_lit(a->j, "\":{\"n\":");
	inflame_json_u64(a->j, n);
	inflame_json_lit(a->j, ",\"t\":\"");
	if (bits) {
		inflame_json_raw(a->j, "u", 1);
		inflame_json_u64(a->j, (uint64_t)bits);
	} else {
		inflame_json_lit(a->j, type_names[t]);
	}
	inflame_json_lit(a->j, "\",\"b\":");
	inflame_json_u64(a->j, a->nblobs++);
	inflame_json_lit(a->j, k->deflating ? ",\"z\":1}" : ",\"z\":0}");
	if (rc < 0)
		a->err = rc;
	free(k);
}

/* zigzag LEB128 of v. */
static void zv_put(struct b64 *b, int64_t v)
{
	uint64_t u = v < 0 ? ((uint64_t) - (v + 1)) * 2 + 1 : (uint64_t)v * 2;

	while (u >= 0x80) {
		b64_byte(b, (unsigned char)(u | 0x80));
		u >>= 7;
	}
	b64_byte(b, (unsigned char)u);
}

static void zv_begin(struct b64 *b, struct inflame_json *j, const char *key, size_t n)
{
	*b = (struct b64){.j = j};
	inflame_json_lit(j, "\"");
	inflame_json_lit(j, key);
	inflame_json_lit(j, "\":{\"n\":");
	inflame_json_u64(j, n);
	inflame_json_lit(j, ",\"zv\":\"");
}

static void zv_end(struct b64 *b)
{
	b64_end(b);
	inflame_json_lit(b->j, "\"}");
}

/* "key":ARRAY of n values, as a blob or as compact text (see struct arrays). */
static void put_array(struct arrays *a, const char *key, size_t n, value_fn get, const void *ctx)
{
	struct b64 b;

	if (a->page) {
		blob_array(a, key, n, get, ctx);
		return;
	}
	zv_begin(&b, a->j, key, n);
	for (size_t i = 0; i < n; i++)
		zv_put(&b, get(ctx, i));
	zv_end(&b);
}

static void page_free(struct page *p)
{
	free(p->str);
	free(p->str_len);
	free(p->str_hash);
	free(p->frame_str);
	free(p->frame_meta);
	free(p->frame_module);
	free(p->frame_file);
	free(p->frame_of_str);
	free(p->parent);
	free(p->frame);
	free(p->depth);
	free(p->threads);
}

static int64_t u32_at(const void *ctx, size_t i)
{
	return ((const uint32_t *)ctx)[i];
}

static int64_t i32_at(const void *ctx, size_t i)
{
	return ((const int32_t *)ctx)[i];
}

/* A node's frame; the root's (-1) as 0 in a page, so that a frame array fits unsigned types. */
static int64_t node_frame_at(const void *ctx, size_t i)
{
	int32_t f = ((const int32_t *)ctx)[i];

	return f < 0 ? 0 : f;
}

static int64_t frame_line_at(const void *ctx, size_t i)
{
	const struct inflame_frame_meta *m = ((const struct inflame_frame_meta *const *)ctx)[i];

	return m ? m->line : 0;
}

/* A node and a weight: a stack's leaf and count, or a kept node and its total. */
struct node_weight {
	uint32_t node;
	uint64_t w;
};

static int cmp_node_weight(const void *a, const void *b)
{
	uint32_t x = ((const struct node_weight *)a)->node,
		 y = ((const struct node_weight *)b)->node;

	return (x > y) - (x < y);
}

/* A set's stacks with a weight (idx), their leaf nodes, and their weights or base weights. */
struct stack_list {
	const struct inflame_stackset *ss;
	const uint32_t *nodes;
	uint32_t *idx;
	int base;
};

static int64_t stack_node_at(const void *ctx, size_t i)
{
	const struct stack_list *l = ctx;

	return l->nodes[l->idx[i]];
}

static uint64_t stack_weight(const struct stack_list *l, size_t s)
{
	const uint32_t *f;
	size_t nf;
	uint64_t c;

	inflame_stackset_get(l->ss, s, &f, &nf, &c);
	return l->base ? inflame_stackset_base(l->ss, s) : c;
}

static int64_t stack_weight_at(const void *ctx, size_t i)
{
	const struct stack_list *l = ctx;

	return (int64_t)stack_weight(l, l->idx[i]);
}

/*
 * "stack_node":...,"stack_weight":... of a set, with base counts when base is set. The stacks
 * come in the order of their leaf nodes: the viewer sums a view's totals from them in tree
 * order (a million stacks sorted in the page cost it 0.6 s).
 */
static int stacks(struct arrays *a, const char *prefix, const struct inflame_stackset *ss,
		  const uint32_t *nodes, int base)
{
	struct stack_list l = {ss, nodes, NULL, base};
	size_t n = inflame_stackset_count(ss), m = 0;
	struct node_weight *order;
	char key[32];

	l.idx = malloc((n ? n : 1) * sizeof(*l.idx));
	order = malloc((n ? n : 1) * sizeof(*order));
	if (!l.idx || !order) {
		free(l.idx);
		free(order);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		if (stack_weight(&l, i))
			order[m++] = (struct node_weight){nodes[i], i};
	qsort(order, m, sizeof(*order), cmp_node_weight);
	for (size_t i = 0; i < m; i++)
		l.idx[i] = (uint32_t)order[i].w;
	free(order);
	snprintf(key, sizeof(key), "%sstack_node", prefix);
	put_array(a, key, m, stack_node_at, &l);
	inflame_json_raw(a->j, ",", 1);
	snprintf(key, sizeof(key), "%sstack_weight", prefix);
	put_array(a, key, m, stack_weight_at, &l);
	free(l.idx);
	return 0;
}

/* A timeline's samples, for their arrays. shift: ns from the page's start to the timeline's. */
struct sample_list {
	const struct inflame_timeline *tl;
	const uint32_t *nodes, *tmap;
	uint64_t shift;
};

static int64_t sample_node_at(const void *ctx, size_t i)
{
	const struct sample_list *l = ctx;

	return l->nodes[l->tl->samples[i].stack];
}

static int64_t sample_weight_at(const void *ctx, size_t i)
{
	return (int64_t)((const struct sample_list *)ctx)->tl->samples[i].weight;
}

/* Time since the previous sample (samples are in time order: never negative). */
static int64_t sample_dt_at(const void *ctx, size_t i)
{
	const struct sample_list *l = ctx;
	uint64_t t = l->tl->samples[i].time + l->shift;

	return (int64_t)(t - (i ? l->tl->samples[i - 1].time + l->shift : 0));
}

static int64_t sample_thread_at(const void *ctx, size_t i)
{
	const struct sample_list *l = ctx;

	return l->tmap[l->tl->samples[i].thread];
}

static int64_t sample_freed_at(const void *ctx, size_t i)
{
	const struct sample_list *l = ctx;
	int64_t fr = l->tl->samples[i].freed;

	return fr < 0 ? -1 : fr + (int64_t)l->shift;
}

/* The "samples" member of a view. shift: ns from the page's start to the timeline's. */
static void samples(struct arrays *a, const struct inflame_timeline *tl, const uint32_t *nodes,
		    const uint32_t *tmap, uint64_t shift, int has_freed)
{
	struct sample_list l = {tl, nodes, tmap, shift};
	size_t n = tl->nsamples;

	inflame_json_lit(a->j, ",\"samples\":{");
	put_array(a, "node", n, sample_node_at, &l);
	inflame_json_raw(a->j, ",", 1);
	put_array(a, "weight", n, sample_weight_at, &l);
	inflame_json_raw(a->j, ",", 1);
	put_array(a, "time", n, sample_dt_at, &l);
	inflame_json_raw(a->j, ",", 1);
	put_array(a, "thread", n, sample_thread_at, &l);
	if (has_freed) {
		inflame_json_raw(a->j, ",", 1);
		put_array(a, "freed", n, sample_freed_at, &l);
	}
	inflame_json_raw(a->j, "}", 1);
}

/*
 * The preview (doc/viewer-data.md): the flame graph of view v, the first one the page shows, cut
 * to the call paths at least 1/PREVIEW_CUT of its total, with their totals and their own small
 * table of names. The page holds it before the viewer's script and the full data after, so the
 * viewer draws it while the browser still reads the rest: a frame the viewer would draw on a
 * canvas up to PREVIEW_CUT / 2 pixels wide is in it.
 */
#define PREVIEW_CUT 8192

static int push_node_weight(struct node_weight **a, size_t *n, size_t *cap, uint32_t node,
			    uint64_t w)
{
	if (grow((void **)a, cap, *n + 1, sizeof(**a)) < 0)
		return -ENOMEM;
	(*a)[(*n)++] = (struct node_weight){node, w};
	return 0;
}

/*
 * The kept nodes and their totals in node order (*out, *nout): one pass over the nodes in
 * depth-first order with the totals of the open path on a stack, each node's total known when
 * its subtree closes. No array per node: at 30 million nodes one of totals cost a second.
 */
static int preview_nodes(const struct page *p, struct node_weight *leaves, size_t nleaves,
			 uint64_t thr, struct node_weight **out, size_t *nout)
{
	struct node_weight *open = NULL, *kept = NULL;
	size_t open_cap = 0, kept_cap = 0, nkept = 0, sp = 0, l = 0;
	int rc = -ENOMEM;

	qsort(leaves, nleaves, sizeof(*leaves), cmp_node_weight);
	if (grow((void **)&open, &open_cap, 1, sizeof(*open)) < 0)
		goto out;
	open[0] = (struct node_weight){0, 0};
	for (; l < nleaves && leaves[l].node == 0; l++)
		open[0].w += leaves[l].w;
	for (size_t i = 1; i <= p->nnodes; i++) {
		size_t d = i < p->nnodes ? p->depth[i] : 0;

		for (; sp >= d && sp > 0; sp--) {
			if (open[sp].w >= thr && push_node_weight(&kept, &nkept, &kept_cap,
								  open[sp].node, open[sp].w) < 0)
				goto out;
			open[sp - 1].w += open[sp].w;
		}
		if (i == p->nnodes)
			break;
		if (grow((void **)&open, &open_cap, sp + 2, sizeof(*open)) < 0)
			goto out;
		open[++sp] = (struct node_weight){(uint32_t)i, 0};
		for (; l < nleaves && leaves[l].node == i; l++)
			open[sp].w += leaves[l].w;
	}
	if (push_node_weight(&kept, &nkept, &kept_cap, 0, open[0].w) < 0)
		goto out;
	qsort(kept, nkept, sizeof(*kept), cmp_node_weight);
	*out = kept;
	*nout = nkept;
	kept = NULL;
	rc = 0;
out:
	free(open);
	free(kept);
	return rc;
}

static int write_preview(struct inflame_json *j, const struct page *p,
			 const struct inflame_stackset *ss, const uint32_t *nodes, size_t v)
{
	size_t count = inflame_stackset_count(ss), nleaves = 0, m = 0, nnames = 0, path_cap = 0;
	struct node_weight *leaves = malloc((count ? count : 1) * sizeof(*leaves)), *kept = NULL;
	uint32_t *name_of = calloc(p->nstr, sizeof(*name_of)); /* string -> preview name + 1 */
	uint32_t *names = malloc((p->nstr ? p->nstr : 1) * sizeof(*names));
	uint32_t *path = NULL; /* preview index of the last kept node at each depth */
	uint64_t sum = 0, thr;
	struct b64 z;
	int rc = -ENOMEM;

	if (!leaves || !name_of || !names)
		goto out;
	for (size_t i = 0; i < count; i++) {
		const uint32_t *f;
		size_t nf;
		uint64_t c;

		inflame_stackset_get(ss, i, &f, &nf, &c);
		if (c)
			leaves[nleaves++] = (struct node_weight){nodes[i], c};
		sum += c;
	}
	/* A node's total is at most its parent's: the kept nodes are a subtree, depth first. */
	thr = sum / PREVIEW_CUT ? sum / PREVIEW_CUT : 1;
	if (preview_nodes(p, leaves, nleaves, thr, &kept, &m) < 0)
		goto out;
	for (size_t k = 1; k < m; k++) {
		uint32_t s = p->frame_str[p->frame[kept[k].node]];

		if (!name_of[s]) {
			names[nnames++] = s;
			name_of[s] = (uint32_t)nnames;
		}
	}
	inflame_json_lit(j, "{\"view\":");
	inflame_json_u64(j, v);
	inflame_json_lit(j, ",\"names\":[");
	for (size_t i = 0; i < nnames; i++) {
		if (i)
			inflame_json_raw(j, ",", 1);
		inflame_json_str(j, p->str[names[i]], p->str_len[names[i]]);
	}
	inflame_json_lit(j, "],");
	/* Parents as in nodes.parent_delta, within the preview; name: index into "names". */
	zv_begin(&z, j, "parent_delta", m);
	zv_put(&z, 0);
	if (grow((void **)&path, &path_cap, 1, sizeof(*path)) < 0)
		goto out;
	path[0] = 0;
	for (size_t k = 1; k < m; k++) {
		uint32_t d = p->depth[kept[k].node];

		if (grow((void **)&path, &path_cap, (size_t)d + 1, sizeof(*path)) < 0)
			goto out;
		zv_put(&z, (int64_t)(k - path[d - 1]));
		path[d] = (uint32_t)k;
	}
	zv_end(&z);
	inflame_json_raw(j, ",", 1);
	zv_begin(&z, j, "name", m);
	zv_put(&z, -1);
	for (size_t k = 1; k < m; k++)
		zv_put(&z, name_of[p->frame_str[p->frame[kept[k].node]]] - 1);
	zv_end(&z);
	inflame_json_raw(j, ",", 1);
	zv_begin(&z, j, "total", m);
	for (size_t k = 0; k < m; k++)
		zv_put(&z, (int64_t)kept[k].w);
	zv_end(&z);
	inflame_json_raw(j, "}", 1);
	rc = 0;
out:
	free(leaves);
	free(kept);
	free(name_of);
	free(names);
	free(path);
	return rc;
}

/* The viewer's script, with every "</script" written as "<\/script". */
static void script_text(struct inflame_json *j, const char *s, size_t n);

/*
 * Writes the data object; with page set, first the preview's element (when the page opens on a
 * view that has one: no differential page, a total above 0), the viewer's script, the blob
 * elements of the arrays, and the start of the data element, so that the data object follows
 * there. The object is made in memory meanwhile (mj): the blobs come before it in the page.
 */
static int write_data(struct inflame_json *out, const struct inflame_html_page *pg, int page)
{
	struct inflame_json *j = out, *mj = NULL;
	struct arrays a = {out, NULL, 0, 0};
	char *mem = NULL;
	size_t memlen = 0;
	FILE *mf = NULL;
	struct page p = {0};
	uint32_t **nodes = calloc(pg->nviews + 1, sizeof(*nodes));
	uint32_t **tmaps = calloc(pg->nviews + 1, sizeof(*tmaps));
	uint32_t *base_nodes = NULL;
	uint64_t start = UINT64_MAX, end = 0;
	int rc = -ENOMEM;

	const struct inflame_stackset **sets = calloc(pg->nviews + 1, sizeof(*sets));

	if (!nodes || !tmaps || !sets || intern(&p, "", 0) != 0)
		goto out;
	/* Node 0, the root. */
	if (grow((void **)&p.parent, &p.parent_cap, 1, sizeof(*p.parent)) < 0 ||
	    grow((void **)&p.frame, &p.frame_cap2, 1, sizeof(*p.frame)) < 0 ||
	    grow((void **)&p.depth, &p.depth_cap, 1, sizeof(*p.depth)) < 0)
		goto out;
	p.parent[0] = p.frame[0] = -1;
	p.depth[0] = 0;
	p.nnodes = 1;
	for (size_t v = 0; v < pg->nviews; v++)
		sets[v] = pg->views[v].ss;
	if (pg->base)
		sets[pg->nviews] = pg->base;
	if (build_tree(&p, sets, pg->nviews + (pg->base ? 1 : 0), nodes) < 0)
		goto out;
	base_nodes = pg->base ? nodes[pg->nviews] : NULL;
	p.frame_module = calloc(p.nframes + 1, sizeof(*p.frame_module));
	p.frame_file = calloc(p.nframes + 1, sizeof(*p.frame_file));
	if (!p.frame_module || !p.frame_file)
		goto out;
	for (size_t i = 0; i < p.nframes; i++) {
		const struct inflame_frame_meta *m = p.frame_meta[i];

		if (!m)
			continue;
		p.frame_module[i] = intern(&p, m->module, strlen(m->module));
		p.frame_file[i] = intern(&p, m->file, strlen(m->file));
		if (p.frame_module[i] == UINT32_MAX || p.frame_file[i] == UINT32_MAX)
			goto out;
	}
	for (size_t v = 0; v < pg->nviews; v++) {
		const struct inflame_timeline *tl = pg->views[v].tl;

		if (tl && tl->nsamples) {
			if (thread_map(&p, tl, &tmaps[v]) < 0)
				goto out;
			if (tl->start_realtime < start)
				start = tl->start_realtime;
		}
	}
	for (size_t v = 0; v < pg->nviews; v++) {
		const struct inflame_timeline *tl = pg->views[v].tl;

		if (tmaps[v] && tl->start_realtime - start + tl->end > end)
			end = tl->start_realtime - start + tl->end;
	}

	if (page) {
		uint64_t first_total = 0;

		for (size_t i = 0; pg->nviews && i < inflame_stackset_count(pg->views[0].ss); i++) {
			const uint32_t *f;
			size_t nf;
			uint64_t c;

			inflame_stackset_get(pg->views[0].ss, i, &f, &nf, &c);
			first_total += c;
		}
		if (!pg->base && first_total) {
			inflame_json_lit(
			    j, "<script type=\"application/json\" id=\"inflame-preview\">");
			if (write_preview(j, &p, pg->views[0].ss, nodes[0], 0) < 0)
				goto out;
			inflame_json_lit(j, "</script>\n");
		}
		inflame_json_lit(j, "<script>\n");
		script_text(j, inflame_viewer_js, sizeof(inflame_viewer_js) - 1);
		inflame_json_lit(j, "\n</script>\n");
		mf = open_memstream(&mem, &memlen);
		mj = malloc(sizeof(*mj));
		if (!mf || !mj)
			goto out;
		inflame_json_init(mj, mf);
		a.j = j = mj;
		a.page = out;
	}
	inflame_json_lit(j, "{\"version\":1,\"title\":");
	inflame_json_str(j, pg->title ? pg->title : "inflame",
			 strlen(pg->title ? pg->title : "inflame"));
	inflame_json_lit(j, ",\"strings\":[");
	for (size_t i = 0; i < p.nstr; i++) {
		if (i)
			inflame_json_raw(j, ",", 1);
		inflame_json_str(j, p.str[i], p.str_len[i]);
	}
	inflame_json_lit(j, "],\"frames\":{");
	put_array(&a, "name", p.nframes, u32_at, p.frame_str);
	inflame_json_raw(j, ",", 1);
	put_array(&a, "module", p.nframes, u32_at, p.frame_module);
	inflame_json_raw(j, ",", 1);
	put_array(&a, "file", p.nframes, u32_at, p.frame_file);
	inflame_json_raw(j, ",", 1);
	put_array(&a, "line", p.nframes, frame_line_at, p.frame_meta);
	/* The tree depth first: each node's depth (the root's 0) gives its parent. */
	inflame_json_lit(j, "},\"nodes\":{");
	put_array(&a, "depth", p.nnodes, u32_at, p.depth);
	inflame_json_raw(j, ",", 1);
	put_array(&a, "frame", p.nnodes, page ? node_frame_at : i32_at, p.frame);
	inflame_json_lit(j, "},\"threads\":[");
	for (size_t i = 0; i < p.nthreads; i++) {
		inflame_json_lit(j, i ? ",{\"tid\":" : "{\"tid\":");
		inflame_json_u64(j, p.threads[i].tid);
		inflame_json_lit(j, ",\"name\":");
		inflame_json_u64(j, p.threads[i].name);
		inflame_json_lit(j, ",\"pid\":");
		inflame_json_u64(j, p.threads[i].pid);
		inflame_json_lit(j,
				 p.threads[i].exited ? ",\"exited\":true}" : ",\"exited\":false}");
	}
	inflame_json_lit(j, "],\"start_ns\":0,\"duration_ns\":");
	inflame_json_u64(j, end);
	/* The start as wall-clock time, in ms since the epoch (exact in JavaScript numbers). */
	inflame_json_lit(j, ",\"start_realtime_ms\":");
	inflame_json_u64(j, start == UINT64_MAX ? 0 : start / 1000000);
	inflame_json_lit(j, ",\"views\":[");
	for (size_t v = 0; v < pg->nviews; v++) {
		const struct inflame_html_view *hv = &pg->views[v];

		inflame_json_lit(j, v ? ",{\"name\":" : "{\"name\":");
		inflame_json_str(j, hv->name, strlen(hv->name));
		inflame_json_lit(j, ",\"unit\":");
		inflame_json_str(j, hv->unit, strlen(hv->unit));
		inflame_json_lit(j, ",\"seconds_per_sample\":");
		inflame_json_double(j, hv->seconds_per_sample);
		inflame_json_raw(j, ",", 1);
		if (stacks(&a, "", hv->ss, nodes[v], 0) < 0)
			goto out;
		if (tmaps[v])
			samples(&a, hv->tl, nodes[v], tmaps[v], hv->tl->start_realtime - start,
				hv->has_freed);
		inflame_json_raw(j, "}", 1);
	}
	inflame_json_lit(j, "],\"diff\":");
	if (pg->base && pg->diff_view < pg->nviews) {
		inflame_json_lit(j, "{\"base_name\":");
		inflame_json_str(j, pg->base_name ? pg->base_name : "before",
				 strlen(pg->base_name ? pg->base_name : "before"));
		inflame_json_lit(j, ",\"after_name\":");
		inflame_json_str(j, pg->after_name ? pg->after_name : "after",
				 strlen(pg->after_name ? pg->after_name : "after"));
		inflame_json_lit(j, ",\"view\":");
		inflame_json_u64(j, pg->diff_view);
		inflame_json_lit(j, ",");
		if (stacks(&a, "base_", pg->base, base_nodes, 1) < 0)
			goto out;
		inflame_json_raw(j, "}", 1);
	} else {
		inflame_json_lit(j, "null");
	}
	inflame_json_raw(j, "}", 1);
	if (a.err < 0)
		goto out;
	if (mj) {
		/* The object made in memory, into its element after the blobs. */
		if (inflame_json_finish(mj) < 0 || fflush(mf) != 0)
			goto out;
		inflame_json_lit(out, "<script type=\"application/json\" id=\"inflame-data\">");
		inflame_json_raw(out, mem, memlen);
	}
	rc = 0;
out:
	if (mf)
		fclose(mf);
	free(mem);
	free(mj);
	for (size_t v = 0; nodes && v <= pg->nviews; v++)
		free(nodes[v]);
	free(sets);
	for (size_t v = 0; tmaps && v < pg->nviews; v++)
		free(tmaps[v]);
	free(nodes);
	free(tmaps);
	page_free(&p);
	return rc;
}

int inflame_html_write_data(FILE *f, const struct inflame_html_page *p)
{
	struct inflame_json *j = malloc(sizeof(*j));
	int rc;

	if (!j)
		return -ENOMEM;
	inflame_json_init(j, f);
	rc = write_data(j, p, 0);
	if (rc == 0)
		rc = inflame_json_finish(j);
	free(j);
	return rc;
}

/* Text for an HTML element's content: & < > escaped. */
static void html_text(struct inflame_json *j, const char *s)
{
	for (; *s; s++) {
		if (*s == '&')
			inflame_json_lit(j, "&amp;");
		else if (*s == '<')
			inflame_json_lit(j, "&lt;");
		else if (*s == '>')
			inflame_json_lit(j, "&gt;");
		else if ((unsigned char)*s >= 0x20 || *s == '\t')
			inflame_json_raw(j, s, 1);
	}
}

static void script_text(struct inflame_json *j, const char *s, size_t n)
{
	size_t from = 0;

	for (size_t i = 0; i + 8 <= n; i++) {
		if (s[i] == '<' && s[i + 1] == '/' && !strncasecmp(s + i + 2, "script", 6)) {
			inflame_json_raw(j, s + from, i + 1 - from);
			inflame_json_raw(j, "\\", 1);
			from = i + 1;
		}
	}
	inflame_json_raw(j, s + from, n - from);
}

int inflame_html_write(FILE *f, const struct inflame_html_page *p)
{
	struct inflame_json *j = malloc(sizeof(*j));
	int rc;

	if (!j)
		return -ENOMEM;
	inflame_json_init(j, f);
	inflame_json_lit(
	    j, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	       "<title>");
	html_text(j, p->title ? p->title : "inflame");
	inflame_json_lit(j, "</title>\n</head>\n<body>\n");
	rc = write_data(j, p, 1);
	inflame_json_lit(j, "</script>\n</body>\n</html>\n");
	if (rc == 0)
		rc = inflame_json_finish(j);
	free(j);
	return rc;
}
