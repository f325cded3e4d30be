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
 * first set that has any for the name), else "" and 0. Every integer array is written compact
 * ({"n":N,"zv":base64 of zigzag varints}, see the doc), and the tree's parents as parent_delta
 * (node minus parent, mostly 1).
 *
 * Memory: a hash table of names, the node arrays (two integers per call path), and per view
 * an array that maps each stack to its node; the tree is built by sorting the stacks
 * (build_tree), without a table of nodes.
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

	/* Nodes. */
	int32_t *parent;
	int32_t *frame;
	size_t nnodes, parent_cap, frame_cap2;

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
	size_t nitems = 0, path_cap = 0, k;
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
	for (size_t s = 0; s < n; s++)
		for (size_t i = 0; i < inflame_stackset_count(sets[s]); i++)
			items[nitems++] = (struct item){(uint32_t)s, (uint32_t)i};
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
				 sizeof(*p->frame)) < 0)
				goto out;
			p->parent[p->nnodes] = (int32_t)node;
			p->frame[p->nnodes] = (int32_t)map[f[k]];
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
 * Compact integer arrays: {"n":N,"zv":"..."}, N integers as zigzag LEB128 varints (7 bits a
 * byte, low group first, the high bit set on all bytes but the last; zigzag maps v >= 0 to 2v
 * and v < 0 to -2v-1), the bytes in base64 (standard alphabet, '=' padded). The text holds
 * only [A-Za-z0-9+/=], so it needs no escaping inside the script element.
 */
struct zv {
	struct inflame_json *j;
	unsigned char in[3];
	int nin;
	size_t nout;
	char out[4096];
};

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void zv_begin(struct zv *z, struct inflame_json *j, const char *key, size_t n)
{
	z->j = j;
	z->nin = 0;
	z->nout = 0;
	inflame_json_lit(j, "\"");
	inflame_json_lit(j, key);
	inflame_json_lit(j, "\":{\"n\":");
	inflame_json_u64(j, n);
	inflame_json_lit(j, ",\"zv\":\"");
}

static void zv_flush(struct zv *z)
{
	inflame_json_raw(z->j, z->out, z->nout);
	z->nout = 0;
}

static void zv_byte(struct zv *z, unsigned char b)
{
	z->in[z->nin++] = b;
	if (z->nin < 3)
		return;
	if (z->nout + 4 > sizeof(z->out))
		zv_flush(z);
	z->out[z->nout++] = b64[z->in[0] >> 2];
	z->out[z->nout++] = b64[(z->in[0] & 3) << 4 | z->in[1] >> 4];
	z->out[z->nout++] = b64[(z->in[1] & 15) << 2 | z->in[2] >> 6];
	z->out[z->nout++] = b64[z->in[2] & 63];
	z->nin = 0;
}

static void zv_put(struct zv *z, int64_t v)
{
	uint64_t u = v < 0 ? ((uint64_t) - (v + 1)) * 2 + 1 : (uint64_t)v * 2;

	while (u >= 0x80) {
		zv_byte(z, (unsigned char)(u | 0x80));
		u >>= 7;
	}
	zv_byte(z, (unsigned char)u);
}

static void zv_end(struct zv *z)
{
	if (z->nin) {
		unsigned char a = z->in[0], b = z->nin > 1 ? z->in[1] : 0;

		if (z->nout + 4 > sizeof(z->out))
			zv_flush(z);
		z->out[z->nout++] = b64[a >> 2];
		z->out[z->nout++] = b64[(a & 3) << 4 | b >> 4];
		z->out[z->nout++] = z->nin > 1 ? b64[(b & 15) << 2] : '=';
		z->out[z->nout++] = '=';
	}
	zv_flush(z);
	inflame_json_lit(z->j, "\"}");
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
	free(p->threads);
}

static void u32_array(struct inflame_json *j, const char *key, const uint32_t *a, size_t n)
{
	struct zv z;

	zv_begin(&z, j, key, n);
	for (size_t i = 0; i < n; i++)
		zv_put(&z, a[i]);
	zv_end(&z);
}

/* "stack_node":{...},"stack_weight":{...} of a set, with base counts when base is set. */
static void stacks(struct inflame_json *j, const char *prefix, const struct inflame_stackset *ss,
		   const uint32_t *nodes, int base)
{
	size_t n = inflame_stackset_count(ss), m = 0;
	char key[32];
	struct zv z;

	for (int pass = 0; pass < 3; pass++) {
		if (pass) {
			snprintf(key, sizeof(key), "%s%s", prefix,
				 pass == 1 ? "stack_node" : "stack_weight");
			if (pass == 2)
				inflame_json_raw(j, ",", 1);
			zv_begin(&z, j, key, m);
		}
		for (size_t i = 0; i < n; i++) {
			const uint32_t *f;
			size_t nf;
			uint64_t c;

			inflame_stackset_get(ss, i, &f, &nf, &c);
			if (base)
				c = inflame_stackset_base(ss, i);
			if (!c)
				continue;
			if (pass == 0)
				m++;
			else
				zv_put(&z, pass == 1 ? (int64_t)nodes[i] : (int64_t)c);
		}
		if (pass)
			zv_end(&z);
	}
}

/* The "samples" member of a view. shift: ns from the page's start to the timeline's. */
static void samples(struct inflame_json *j, const struct inflame_timeline *tl,
		    const uint32_t *nodes, const uint32_t *tmap, uint64_t shift, int has_freed)
{
	uint64_t prev = 0;
	size_t n = tl->nsamples;
	struct zv z;

	inflame_json_lit(j, ",\"samples\":{");
	zv_begin(&z, j, "node", n);
	for (size_t i = 0; i < n; i++)
		zv_put(&z, nodes[tl->samples[i].stack]);
	zv_end(&z);
	inflame_json_raw(j, ",", 1);
	zv_begin(&z, j, "weight", n);
	for (size_t i = 0; i < n; i++)
		zv_put(&z, (int64_t)tl->samples[i].weight);
	zv_end(&z);
	inflame_json_raw(j, ",", 1);
	zv_begin(&z, j, "time", n);
	for (size_t i = 0; i < n; i++) {
		uint64_t t = tl->samples[i].time + shift;

		zv_put(&z, (int64_t)(t - prev)); /* time order: never negative */
		prev = t;
	}
	zv_end(&z);
	inflame_json_raw(j, ",", 1);
	zv_begin(&z, j, "thread", n);
	for (size_t i = 0; i < n; i++)
		zv_put(&z, tmap[tl->samples[i].thread]);
	zv_end(&z);
	if (has_freed) {
		inflame_json_raw(j, ",", 1);
		zv_begin(&z, j, "freed", n);
		for (size_t i = 0; i < n; i++) {
			int64_t fr = tl->samples[i].freed;

			zv_put(&z, fr < 0 ? -1 : fr + (int64_t)shift);
		}
		zv_end(&z);
	}
	inflame_json_raw(j, "}", 1);
}

/*
 * The preview (doc/viewer-data.md): the flame graph of view v, the first one the page shows, cut
 * to the call paths at least 1/PREVIEW_CUT of its total, with their totals and their own small
 * table of names. The page holds it before the viewer's script and the full data after, so the
 * viewer draws it while the browser still reads the rest: a frame the viewer would draw on a
 * canvas up to PREVIEW_CUT / 2 pixels wide is in it.
 */
#define PREVIEW_CUT 8192

static int write_preview(struct inflame_json *j, const struct page *p,
			 const struct inflame_stackset *ss, const uint32_t *nodes, size_t v)
{
	size_t n = p->nnodes, m = 1, nnames = 0, count = inflame_stackset_count(ss), depth = 0;
	size_t path_cap = 0;
	uint64_t *total = calloc(n, sizeof(*total)), thr;
	uint32_t *name_of = calloc(p->nstr, sizeof(*name_of)); /* string -> preview name + 1 */
	uint32_t *names = malloc((p->nstr ? p->nstr : 1) * sizeof(*names));
	struct {
		uint32_t node, index;
	} *path = NULL; /* the kept nodes from the root to the last one: node, preview index */
	struct zv z;
	int rc = -ENOMEM;

	if (!total || !name_of || !names)
		goto out;
	for (size_t i = 0; i < count; i++) {
		const uint32_t *f;
		size_t nf;
		uint64_t c;

		inflame_stackset_get(ss, i, &f, &nf, &c);
		total[nodes[i]] += c;
	}
	for (size_t i = n - 1; i > 0; i--)
		total[p->parent[i]] += total[i];
	/* A node's total is at most its parent's: the kept nodes are a subtree, depth first. */
	thr = total[0] / PREVIEW_CUT ? total[0] / PREVIEW_CUT : 1;
	for (size_t i = 1; i < n; i++) {
		if (total[i] < thr)
			continue;
		m++;
		if (!name_of[p->frame_str[p->frame[i]]]) {
			names[nnames++] = p->frame_str[p->frame[i]];
			name_of[names[nnames - 1]] = (uint32_t)nnames;
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
	path[0].node = path[0].index = 0;
	depth = 1;
	for (size_t i = 1, k = 1; i < n; i++) {
		if (total[i] < thr)
			continue;
		while (depth > 1 && path[depth - 1].node != (uint32_t)p->parent[i])
			depth--;
		zv_put(&z, (int64_t)(k - path[depth - 1].index));
		if (grow((void **)&path, &path_cap, depth + 1, sizeof(*path)) < 0)
			goto out;
		path[depth].node = (uint32_t)i;
		path[depth++].index = (uint32_t)k++;
	}
	zv_end(&z);
	inflame_json_raw(j, ",", 1);
	zv_begin(&z, j, "name", m);
	zv_put(&z, -1);
	for (size_t i = 1; i < n; i++)
		if (total[i] >= thr)
			zv_put(&z, name_of[p->frame_str[p->frame[i]]] - 1);
	zv_end(&z);
	inflame_json_raw(j, ",", 1);
	zv_begin(&z, j, "total", m);
	for (size_t i = 0; i < n; i++)
		if (!i || total[i] >= thr)
			zv_put(&z, (int64_t)total[i]);
	zv_end(&z);
	inflame_json_raw(j, "}", 1);
	rc = 0;
out:
	free(total);
	free(name_of);
	free(names);
	free(path);
	return rc;
}

/* The viewer's script, with every "</script" written as "<\/script". */
static void script_text(struct inflame_json *j, const char *s, size_t n);

/*
 * Writes the data object; with page set, first the preview's element (when the page opens on a
 * view that has one: no differential page, a total above 0), the viewer's script, and the start
 * of the data element, so that the data object follows there.
 */
static int write_data(struct inflame_json *j, const struct inflame_html_page *pg, int page)
{
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
	    grow((void **)&p.frame, &p.frame_cap2, 1, sizeof(*p.frame)) < 0)
		goto out;
	p.parent[0] = p.frame[0] = -1;
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
		inflame_json_lit(
		    j, "\n</script>\n<script type=\"application/json\" id=\"inflame-data\">");
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
	u32_array(j, "name", p.frame_str, p.nframes);
	for (int k = 0; k < 3; k++) {
		struct zv z;

		inflame_json_raw(j, ",", 1);
		zv_begin(&z, j, k == 0 ? "module" : k == 1 ? "file" : "line", p.nframes);
		for (size_t i = 0; i < p.nframes; i++) {
			const struct inflame_frame_meta *m = p.frame_meta[i];

			zv_put(&z, k == 0   ? p.frame_module[i]
				   : k == 1 ? p.frame_file[i]
					    : (m ? m->line : 0));
		}
		zv_end(&z);
	}
	/* Parents as node index minus parent index (mostly 1 in depth-first order); root: 0. */
	inflame_json_lit(j, "},\"nodes\":{");
	{
		struct zv z;

		zv_begin(&z, j, "parent_delta", p.nnodes);
		zv_put(&z, 0);
		for (size_t i = 1; i < p.nnodes; i++)
			zv_put(&z, (int64_t)i - p.parent[i]);
		zv_end(&z);
		inflame_json_raw(j, ",", 1);
		zv_begin(&z, j, "frame", p.nnodes);
		zv_put(&z, -1);
		for (size_t i = 1; i < p.nnodes; i++)
			zv_put(&z, p.frame[i]);
		zv_end(&z);
	}
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
		stacks(j, "", hv->ss, nodes[v], 0);
		if (tmaps[v])
			samples(j, hv->tl, nodes[v], tmaps[v], hv->tl->start_realtime - start,
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
		stacks(j, "base_", pg->base, base_nodes, 1);
		inflame_json_raw(j, "}", 1);
	} else {
		inflame_json_lit(j, "null");
	}
	inflame_json_raw(j, "}", 1);
	rc = 0;
out:
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
