/*
 * The pprof profile builder of pprof.h. It owns the string table (a hash from bytes to index,
 * index 0 being ""), the functions (one per distinct name, in order of first use), and the
 * samples, which are encoded as Profile.sample fields as soon as they are added, so memory
 * follows the encoded size rather than a tree of objects. Encoding then writes the declared
 * types, the buffered samples, the mappings, the locations, the functions, the string table
 * and the scalars. Field numbers are those of profile.proto.
 *
 * Where the stack set carries frame metadata (inflame_stackset_meta()), a location is a
 * frame together with the frames inlined into it at the same address (several lines, leaf
 * first), found in a hash keyed by their function ids, with the address, a mapping (one per
 * module and range) and line numbers; functions get their source file, the line their
 * declaration starts at and, where the name was demangled, the mangled symbol as system
 * name. Mappings are written with the process's executable first (pprof's main binary).
 * Without metadata a location is one function, with no address.
 */
#include "export/pprof.h"
#include "export/protobuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* profile.proto field numbers. */
enum {
	PROFILE_SAMPLE_TYPE = 1,
	PROFILE_SAMPLE = 2,
	PROFILE_LOCATION = 4,
	PROFILE_FUNCTION = 5,
	PROFILE_STRING_TABLE = 6,
	PROFILE_TIME_NANOS = 9,
	PROFILE_DURATION_NANOS = 10,
	PROFILE_PERIOD_TYPE = 11,
	PROFILE_PERIOD = 12,
	PROFILE_DEFAULT_SAMPLE_TYPE = 14,
	VALUETYPE_TYPE = 1,
	VALUETYPE_UNIT = 2,
	SAMPLE_LOCATION_ID = 1,
	SAMPLE_VALUE = 2,
	SAMPLE_LABEL = 3,
	LABEL_KEY = 1,
	LABEL_STR = 2,
	LABEL_NUM = 3,
	PROFILE_MAPPING = 3,
	MAPPING_ID = 1,
	MAPPING_START = 2,
	MAPPING_LIMIT = 3,
	MAPPING_OFFSET = 4,
	MAPPING_FILENAME = 5,
	MAPPING_BUILD_ID = 6,
	MAPPING_HAS_FUNCTIONS = 7,
	MAPPING_HAS_FILENAMES = 8,
	MAPPING_HAS_LINE_NUMBERS = 9,
	MAPPING_HAS_INLINE_FRAMES = 10,
	LOCATION_ID = 1,
	LOCATION_MAPPING_ID = 2,
	LOCATION_ADDRESS = 3,
	LOCATION_LINE = 4,
	LINE_FUNCTION_ID = 1,
	LINE_LINE = 2,
	FUNCTION_ID = 1,
	FUNCTION_NAME = 2,
	FUNCTION_SYSTEM_NAME = 3,
	FUNCTION_FILENAME = 4,
	FUNCTION_START_LINE = 5,
};

struct mapping {
	uint64_t lo, hi, off;
	uint64_t file, build_id; /* string indexes */
	int has_lines;
	int main_exe; /* the process's executable: listed first */
};

/* A location: lines lines[first..first+n) of the line arrays, leaf first. */
struct location {
	uint64_t addr, mapping, hash;
	size_t first, n;
};

struct inflame_pprof {
	/* the string table */
	char **str;
	size_t *strlen;
	size_t nstr, capstr;
	uint32_t *hash; /* open addressing: string index + 1, 0 = empty */
	size_t hashsize;
	/* functions: the name's string index, id = position + 1 */
	uint64_t *fn_name;
	size_t nfn, capfn;
	uint64_t *fn_of_str; /* by string index: function id, 0 = none (capstr entries) */
	uint64_t *fn_file;   /* by function: the source file's string index, 0 = none */
	uint64_t *fn_sys;    /* by function: the system name's string index, 0 = the name */
	uint64_t *fn_start;  /* by function: the declaration's line, 0 = unknown */
	struct mapping *maps;
	size_t nmaps, capmaps;
	struct location *locs; /* id = position + 1 (1..N after the function-only ones) */
	size_t nlocs, caplocs;
	uint64_t *line_fn, *line_no; /* the lines of all locations */
	size_t nlines, caplines;
	uint32_t *loctab; /* open addressing: location index + 1 */
	size_t loctab_size;
	int has_meta; /* locations are those of locs[], not one per function */
	/* declared types, as string indexes */
	uint64_t type[INFLAME_PPROF_MAX_TYPES], unit[INFLAME_PPROF_MAX_TYPES];
	size_t ntypes;
	uint64_t period_type, period_unit, default_type;
	int64_t period, time_nanos, duration_nanos;
	int has_period;
	struct inflame_pb samples; /* encoded Profile.sample fields */
	size_t nsamples;
	int oom;
};

static uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

static int rehash(struct inflame_pprof *p, size_t size)
{
	uint32_t *h = calloc(size, sizeof(*h));

	if (!h)
		return -ENOMEM;
	for (size_t i = 0; i < p->nstr; i++) {
		size_t k = hash_bytes(p->str[i], p->strlen[i]) & (size - 1);

		while (h[k])
			k = (k + 1) & (size - 1);
		h[k] = (uint32_t)(i + 1);
	}
	free(p->hash);
	p->hash = h;
	p->hashsize = size;
	return 0;
}

/* The string table index of s[0..n), adding it; UINT64_MAX when out of memory. */
static uint64_t intern(struct inflame_pprof *p, const char *s, size_t n)
{
	size_t k;
	char *copy;

	if ((p->nstr + 1) * 2 > p->hashsize && rehash(p, p->hashsize ? p->hashsize * 2 : 1024) < 0)
		return UINT64_MAX;
	k = hash_bytes(s, n) & (p->hashsize - 1);
	while (p->hash[k]) {
		size_t i = p->hash[k] - 1;

		if (p->strlen[i] == n && !memcmp(p->str[i], s, n))
			return i;
		k = (k + 1) & (p->hashsize - 1);
	}
	if (p->nstr == p->capstr) {
		size_t cap = p->capstr ? p->capstr * 2 : 256;
		char **ns = realloc(p->str, cap * sizeof(*ns));
		size_t *nl;
		uint64_t *nf;

		if (!ns)
			return UINT64_MAX;
		p->str = ns;
		nl = realloc(p->strlen, cap * sizeof(*nl));
		if (!nl)
			return UINT64_MAX;
		p->strlen = nl;
		nf = realloc(p->fn_of_str, cap * sizeof(*nf));
		if (!nf)
			return UINT64_MAX;
		memset(nf + p->capstr, 0, (cap - p->capstr) * sizeof(*nf));
		p->fn_of_str = nf;
		p->capstr = cap;
	}
	if (p->nstr >= UINT32_MAX - 1)
		return UINT64_MAX;
	copy = malloc(n + 1);
	if (!copy)
		return UINT64_MAX;
	memcpy(copy, s, n);
	copy[n] = '\0';
	p->str[p->nstr] = copy;
	p->strlen[p->nstr] = n;
	p->hash[k] = (uint32_t)(p->nstr + 1);
	return p->nstr++;
}

static uint64_t intern_c(struct inflame_pprof *p, const char *s)
{
	return intern(p, s, strlen(s));
}

struct inflame_pprof *inflame_pprof_new(void)
{
	struct inflame_pprof *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	if (intern(p, "", 0) != 0) {
		inflame_pprof_free(p);
		return NULL;
	}
	return p;
}

void inflame_pprof_free(struct inflame_pprof *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nstr; i++)
		free(p->str[i]);
	free(p->str);
	free(p->strlen);
	free(p->hash);
	free(p->fn_name);
	free(p->fn_of_str);
	free(p->fn_file);
	free(p->fn_sys);
	free(p->fn_start);
	free(p->maps);
	free(p->locs);
	free(p->line_fn);
	free(p->line_no);
	free(p->loctab);
	inflame_pb_free(&p->samples);
	free(p);
}

int inflame_pprof_find_type(const struct inflame_pprof *p, const char *type)
{
	size_t n = strlen(type);

	for (size_t i = 0; i < p->ntypes; i++)
		if (p->strlen[p->type[i]] == n && !memcmp(p->str[p->type[i]], type, n))
			return (int)i;
	return -ENOENT;
}

int inflame_pprof_sample_type(struct inflame_pprof *p, const char *type, const char *unit)
{
	int have = inflame_pprof_find_type(p, type);
	uint64_t t, u;

	if (have >= 0 && !strcmp(p->str[p->unit[have]], unit))
		return have;
	if (p->nsamples)
		return -EBUSY;
	if (p->ntypes == INFLAME_PPROF_MAX_TYPES)
		return -ENOSPC;
	t = intern_c(p, type);
	u = intern_c(p, unit);
	if (t == UINT64_MAX || u == UINT64_MAX)
		return -ENOMEM;
	p->type[p->ntypes] = t;
	p->unit[p->ntypes] = u;
	return (int)p->ntypes++;
}

void inflame_pprof_period(struct inflame_pprof *p, const char *type, const char *unit,
			  int64_t period)
{
	uint64_t t = intern_c(p, type), u = intern_c(p, unit);

	if (t == UINT64_MAX || u == UINT64_MAX) {
		p->oom = 1;
		return;
	}
	p->period_type = t;
	p->period_unit = u;
	p->period = period;
	p->has_period = 1;
}

void inflame_pprof_default_type(struct inflame_pprof *p, const char *type)
{
	uint64_t t = intern_c(p, type);

	if (t == UINT64_MAX)
		p->oom = 1;
	else
		p->default_type = t;
}

void inflame_pprof_time(struct inflame_pprof *p, int64_t time_nanos, int64_t duration_nanos)
{
	p->time_nanos = time_nanos;
	p->duration_nanos = duration_nanos;
}

size_t inflame_pprof_nsamples(const struct inflame_pprof *p)
{
	return p->nsamples;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Interns a frame or label text made safe: valid UTF-8, no control characters. */
static uint64_t intern_safe(struct inflame_pprof *p, const char *s, size_t n)
{
	char small[512], *buf;
	uint64_t r;

	if (n == 0)
		return 0;
	buf = n <= sizeof(small) ? small : malloc(n);
	if (!buf)
		return UINT64_MAX;
	memcpy(buf, s, n);
	for (size_t i = 0; i < n;) {
		const unsigned char *u = (const unsigned char *)buf + i;
		size_t l = utf8_len(u, n - i);

		if (l == 0 || (l == 1 && (u[0] < 0x20 || u[0] == 0x7f))) {
			buf[i++] = '?';
			continue;
		}
		i += l;
	}
	r = intern(p, buf, n);
	if (buf != small)
		free(buf);
	return r;
}

/* The function (and location) id of a frame name; 0 when out of memory. */
static uint64_t function_of(struct inflame_pprof *p, const char *name, size_t n)
{
	uint64_t s = intern_safe(p, name, n);

	if (s == UINT64_MAX)
		return 0;
	if (p->fn_of_str[s])
		return p->fn_of_str[s];
	if (p->nfn == p->capfn) {
		size_t cap = p->capfn ? p->capfn * 2 : 256;
		uint64_t *nf = realloc(p->fn_name, cap * sizeof(*nf));

		if (!nf)
			return 0;
		p->fn_name = nf;
		nf = realloc(p->fn_file, cap * sizeof(*nf));
		if (!nf)
			return 0;
		p->fn_file = nf;
		nf = realloc(p->fn_sys, cap * sizeof(*nf));
		if (!nf)
			return 0;
		p->fn_sys = nf;
		nf = realloc(p->fn_start, cap * sizeof(*nf));
		if (!nf)
			return 0;
		p->fn_start = nf;
		p->capfn = cap;
	}
	p->fn_file[p->nfn] = 0;
	p->fn_sys[p->nfn] = 0;
	p->fn_start[p->nfn] = 0;
	p->fn_name[p->nfn++] = s;
	p->fn_of_str[s] = p->nfn;
	return p->nfn;
}

static int grow_arr(void **a, size_t *cap, size_t need, size_t elem)
{
	size_t nc = *cap ? *cap : 64;
	void *n;

	if (need <= *cap)
		return 0;
	while (nc < need)
		nc *= 2;
	n = realloc(*a, nc * elem);
	if (!n)
		return -ENOMEM;
	*a = n;
	*cap = nc;
	return 0;
}

/* The mapping id of a frame's module, 0 when it has none; UINT64_MAX when out of memory. */
static uint64_t mapping_of(struct inflame_pprof *p, const struct inflame_frame_meta *m)
{
	struct mapping *mp;
	uint64_t file;

	if (!m->module[0] || m->map_hi <= m->map_lo)
		return 0;
	for (size_t i = 0; i < p->nmaps; i++)
		if (p->maps[i].lo == m->map_lo && p->maps[i].hi == m->map_hi) {
			if (m->line)
				p->maps[i].has_lines = 1;
			return i + 1;
		}
	file = intern_safe(p, m->module, strlen(m->module));
	if (file == UINT64_MAX ||
	    grow_arr((void **)&p->maps, &p->capmaps, p->nmaps + 1, sizeof(*p->maps)) < 0)
		return UINT64_MAX;
	mp = &p->maps[p->nmaps++];
	mp->lo = m->map_lo;
	mp->hi = m->map_hi;
	mp->off = m->map_off;
	mp->file = file;
	mp->build_id = intern_safe(p, m->build_id, strlen(m->build_id));
	mp->has_lines = m->line != 0;
	mp->main_exe = m->main_exe;
	if (mp->build_id == UINT64_MAX)
		return UINT64_MAX;
	return p->nmaps;
}

static uint64_t hash_ids(const uint64_t *v, size_t n, uint64_t addr)
{
	uint64_t h = addr * 0x9e3779b97f4a7c15ull + n;

	for (size_t i = 0; i < n; i++)
		h = (h ^ v[i]) * 0x100000001b3ull;
	return h ^ (h >> 31);
}

/*
 * The location of frames f[from..to) (root first: f[to - 1] the leaf-most, the others
 * inlined callers... see below) with metadata. fns/lines: their function ids and line
 * numbers, leaf first. Returns the location id, 0 when out of memory.
 */
static uint64_t location_of(struct inflame_pprof *p, const uint64_t *fns, const uint64_t *lines,
			    size_t n, uint64_t addr, uint64_t mapping)
{
	uint64_t h = hash_ids(fns, n, addr);
	size_t j;

	if ((p->nlocs + 1) * 2 > p->loctab_size) {
		size_t size = p->loctab_size ? p->loctab_size * 2 : 1024;
		uint32_t *t = calloc(size, sizeof(*t));

		if (!t)
			return 0;
		for (size_t i = 0; i < p->nlocs; i++) {
			for (j = p->locs[i].hash & (size - 1); t[j]; j = (j + 1) & (size - 1))
				;
			t[j] = (uint32_t)i + 1;
		}
		free(p->loctab);
		p->loctab = t;
		p->loctab_size = size;
	}
	for (j = h & (p->loctab_size - 1); p->loctab[j]; j = (j + 1) & (p->loctab_size - 1)) {
		const struct location *l = &p->locs[p->loctab[j] - 1];

		if (l->hash == h && l->n == n && l->addr == addr &&
		    !memcmp(p->line_fn + l->first, fns, n * sizeof(*fns)))
			return p->loctab[j];
	}
	if (grow_arr((void **)&p->locs, &p->caplocs, p->nlocs + 1, sizeof(*p->locs)) < 0 ||
	    grow_arr((void **)&p->line_fn, &p->caplines, p->nlines + n, sizeof(*p->line_fn)) < 0)
		return 0;
	{
		size_t cap = p->caplines;
		uint64_t *nl = realloc(p->line_no, cap * sizeof(*nl));

		if (!nl)
			return 0;
		p->line_no = nl;
	}
	memcpy(p->line_fn + p->nlines, fns, n * sizeof(*fns));
	memcpy(p->line_no + p->nlines, lines, n * sizeof(*lines));
	p->locs[p->nlocs] = (struct location){
	    .addr = addr, .mapping = mapping, .hash = h, .first = p->nlines, .n = n};
	p->nlines += n;
	p->loctab[j] = (uint32_t)++p->nlocs;
	return p->nlocs;
}

/*
 * Fills locs with the location ids of frames f[nroots..n) of a set with metadata, leaf first,
 * and returns how many (0 with p->oom set when out of memory). A frame marked inlined joins
 * the location of the frame after it (its caller); the location's lines are leaf first.
 */
static size_t meta_locations(struct inflame_pprof *p, const struct inflame_stackset *ss,
			     const uint32_t *f, size_t n, size_t nroots, uint64_t *locs)
{
	uint64_t fns[64], lines[64];
	size_t nl = 0, k = n;

	while (k > nroots) {
		/* The group: f[start..k) where every frame but f[start] (the outermost, the
		 * real function) is inlined; walking down from the leaf, frames k-1, k-2... */
		size_t ng = 0, start = k;

		while (start > nroots) {
			const struct inflame_frame_meta *m =
			    inflame_stackset_meta(ss, f[start - 1]);

			start--;
			if (!m || !m->inlined || k - start >= 63 || start == nroots)
				break;
			/* an inlined frame: its caller is part of the same location */
		}
		for (size_t i = k; i-- > start;) {
			size_t len;
			const char *name = inflame_stackset_name(ss, f[i], &len);
			const struct inflame_frame_meta *m = inflame_stackset_meta(ss, f[i]);
			uint64_t fn = function_of(p, name, len);

			if (!fn) {
				p->oom = 1;
				return 0;
			}
			if (m && m->file[0] && !p->fn_file[fn - 1]) {
				uint64_t fs = intern_safe(p, m->file, strlen(m->file));

				if (fs == UINT64_MAX) {
					p->oom = 1;
					return 0;
				}
				p->fn_file[fn - 1] = fs;
			}
			if (m && m->system_name && m->system_name[0] && !p->fn_sys[fn - 1]) {
				uint64_t sys =
				    intern_safe(p, m->system_name, strlen(m->system_name));

				if (sys == UINT64_MAX) {
					p->oom = 1;
					return 0;
				}
				p->fn_sys[fn - 1] = sys;
			}
			if (m && m->start_line && !p->fn_start[fn - 1])
				p->fn_start[fn - 1] = m->start_line;
			fns[ng] = fn;
			lines[ng++] = m ? m->line : 0;
		}
		{
			/* the address the innermost frame's metadata comes from, and its module */
			const struct inflame_frame_meta *in = inflame_stackset_meta(ss, f[k - 1]);
			uint64_t mapping = in ? mapping_of(p, in) : 0;
			uint64_t id;

			if (mapping == UINT64_MAX) {
				p->oom = 1;
				return 0;
			}
			id = location_of(p, fns, lines, ng, in ? in->addr : 0, mapping);
			if (!id) {
				p->oom = 1;
				return 0;
			}
			locs[nl++] = id;
		}
		k = start;
	}
	return nl;
}

/* Splits a root frame "text-number" into its text and number; 0, or -1 when it has none. */
static int split_tagged(const char *s, size_t n, size_t *textlen, uint64_t *num)
{
	size_t i = n;
	uint64_t v = 0, mul = 1;

	while (i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9')
		i--;
	if (i == n || i == 0 || s[i - 1] != '-' || n - i > 19)
		return -1;
	for (size_t k = n; k > i; k--) {
		v += (uint64_t)(s[k - 1] - '0') * mul;
		mul *= 10;
	}
	*textlen = i - 1;
	*num = v;
	return 0;
}

static void label_num(struct inflame_pprof *p, struct inflame_pb *lab, struct inflame_pb *sample,
		      const char *key, uint64_t v)
{
	uint64_t k = intern_c(p, key);

	if (k == UINT64_MAX) {
		p->oom = 1;
		return;
	}
	inflame_pb_reset(lab);
	inflame_pb_uint(lab, LABEL_KEY, k);
	inflame_pb_int(lab, LABEL_NUM, (int64_t)v);
	inflame_pb_msg(sample, SAMPLE_LABEL, lab);
}

static void label_str(struct inflame_pprof *p, struct inflame_pb *lab, struct inflame_pb *sample,
		      const char *key, const char *s, size_t n)
{
	uint64_t k = intern_c(p, key), v = intern_safe(p, s, n);

	if (k == UINT64_MAX || v == UINT64_MAX) {
		p->oom = 1;
		return;
	}
	inflame_pb_reset(lab);
	inflame_pb_uint(lab, LABEL_KEY, k);
	inflame_pb_uint(lab, LABEL_STR, v);
	inflame_pb_msg(sample, SAMPLE_LABEL, lab);
}

static void label_kv(struct inflame_pprof *p, struct inflame_pb *lab, struct inflame_pb *sample,
		     const char *key, size_t kn, const char *v, size_t vn)
{
	uint64_t k = intern_safe(p, key, kn), s = intern_safe(p, v, vn);

	if (k == UINT64_MAX || s == UINT64_MAX) {
		p->oom = 1;
		return;
	}
	inflame_pb_reset(lab);
	inflame_pb_uint(lab, LABEL_KEY, k);
	inflame_pb_uint(lab, LABEL_STR, s);
	inflame_pb_msg(sample, SAMPLE_LABEL, lab);
}

int inflame_pprof_add(struct inflame_pprof *p, const struct inflame_stackset *ss,
		      const struct inflame_pprof_fill *fill)
{
	size_t nroots =
	    (fill->pid_root ? 1 : 0) + (fill->thread_root ? 1 : 0) + (fill->labels_root ? 1 : 0);
	struct inflame_pb sample = {0}, lab = {0};
	uint64_t *locs = NULL, values[INFLAME_PPROF_MAX_TYPES];
	size_t caplocs = 0;
	int rc = 0;

	if (fill->ncols > INFLAME_PPROF_MAX_TYPES)
		return -EINVAL;
	/* The first set decides how locations are made (sets of one export are loaded alike). */
	if (!p->nsamples && inflame_stackset_count(ss) > 0)
		for (uint32_t id = 0; id < inflame_stackset_nframes_total(ss) && !p->has_meta; id++)
			if (inflame_stackset_meta(ss, id))
				p->has_meta = 1;
	for (size_t c = 0; c < fill->ncols; c++)
		if (fill->col[c] < 0 || (size_t)fill->col[c] >= p->ntypes)
			return -EINVAL;
	for (size_t i = 0; i < inflame_stackset_count(ss) && !p->oom; i++) {
		const uint32_t *f;
		size_t n, nl = 0;
		uint64_t count;

		inflame_stackset_get(ss, i, &f, &n, &count);
		if (!count || n <= nroots)
			continue;
		if (n > caplocs) {
			uint64_t *nlocs = realloc(locs, n * sizeof(*locs));

			if (!nlocs) {
				rc = -ENOMEM;
				break;
			}
			locs = nlocs;
			caplocs = n;
		}
		/* Leaf first, as profile.proto wants. */
		if (p->has_meta)
			nl = meta_locations(p, ss, f, n, nroots, locs);
		for (size_t k = n; !p->has_meta && k-- > nroots;) {
			size_t len;
			const char *name = inflame_stackset_name(ss, f[k], &len);

			locs[nl] = function_of(p, name, len);
			if (!locs[nl++]) {
				p->oom = 1;
				break;
			}
		}
		memset(values, 0, sizeof(values));
		for (size_t c = 0; c < fill->ncols; c++)
			values[fill->col[c]] += count * (uint64_t)fill->mul[c];
		inflame_pb_reset(&sample);
		inflame_pb_packed(&sample, SAMPLE_LOCATION_ID, locs, nl);
		inflame_pb_packed(&sample, SAMPLE_VALUE, values, p->ntypes);
		for (size_t r = 0; r < nroots; r++) {
			size_t len, tl;
			const char *name = inflame_stackset_name(ss, f[r], &len);
			uint64_t num;
			int is_pid = fill->pid_root && r == 0;

			if (fill->labels_root && r == nroots - 1) {
				/* "[labels]\nk=v\nk=v": a string label per pair */
				const char *p0 = memchr(name, '\n', len), *end = name + len;

				while (p0 && p0 < end) {
					const char *kv = p0 + 1,
						   *nx = memchr(kv, '\n', (size_t)(end - kv));
					const char *e = nx ? nx : end,
						   *eq = memchr(kv, '=', (size_t)(e - kv));

					if (eq && eq > kv)
						label_kv(p, &lab, &sample, kv, (size_t)(eq - kv),
							 eq + 1, (size_t)(e - eq - 1));
					p0 = nx;
				}
				continue;
			}
			if (split_tagged(name, len, &tl, &num) < 0)
				continue;
			if (is_pid) {
				label_num(p, &lab, &sample, "pid", num);
			} else {
				label_num(p, &lab, &sample, "thread_id", num);
				label_str(p, &lab, &sample, "thread_name", name, tl);
			}
		}
		inflame_pb_msg(&p->samples, PROFILE_SAMPLE, &sample);
		p->nsamples++;
	}
	inflame_pb_free(&sample);
	inflame_pb_free(&lab);
	free(locs);
	if (p->oom || p->samples.oom)
		return -ENOMEM;
	return rc;
}

static void value_type(struct inflame_pb *out, struct inflame_pb *vt, uint32_t field, uint64_t type,
		       uint64_t unit)
{
	inflame_pb_reset(vt);
	inflame_pb_uint(vt, VALUETYPE_TYPE, type);
	inflame_pb_uint(vt, VALUETYPE_UNIT, unit);
	inflame_pb_msg(out, field, vt);
}

int inflame_pprof_encode(const struct inflame_pprof *p, uint8_t **out, size_t *len)
{
	struct inflame_pb b = {0}, m = {0}, line = {0};
	/* Mapping ids as written: the executables first (pprof takes the first mapping for the
	 * main binary), then the others, each in order of first use. order[k] is the k-th mapping
	 * written, newid[i] the id mapping i gets. */
	size_t *order = calloc(p->nmaps + 1, sizeof(*order));
	uint64_t *newid = calloc(p->nmaps + 1, sizeof(*newid));
	size_t nw = 0;

	if (p->oom || p->samples.oom || !order || !newid) {
		free(order);
		free(newid);
		return -ENOMEM;
	}
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < p->nmaps; i++)
			if (p->maps[i].main_exe == !pass) {
				order[nw] = i;
				newid[i] = ++nw;
			}
	for (size_t i = 0; i < p->ntypes; i++)
		value_type(&b, &m, PROFILE_SAMPLE_TYPE, p->type[i], p->unit[i]);
	/* The buffered samples are whole fields already. */
	inflame_pb_raw(&b, p->samples.d, p->samples.n);
	for (size_t i = 0; i < p->nmaps; i++) {
		const struct mapping *mp = &p->maps[order[i]];

		inflame_pb_reset(&m);
		inflame_pb_uint(&m, MAPPING_ID, i + 1);
		inflame_pb_uint(&m, MAPPING_START, mp->lo);
		inflame_pb_uint(&m, MAPPING_LIMIT, mp->hi);
		inflame_pb_uint(&m, MAPPING_OFFSET, mp->off);
		inflame_pb_uint(&m, MAPPING_FILENAME, mp->file);
		inflame_pb_uint(&m, MAPPING_BUILD_ID, mp->build_id);
		inflame_pb_uint(&m, MAPPING_HAS_FUNCTIONS, 1);
		inflame_pb_uint(&m, MAPPING_HAS_FILENAMES, mp->has_lines);
		inflame_pb_uint(&m, MAPPING_HAS_LINE_NUMBERS, mp->has_lines);
		inflame_pb_uint(&m, MAPPING_HAS_INLINE_FRAMES, mp->has_lines);
		inflame_pb_msg(&b, PROFILE_MAPPING, &m);
	}
	for (size_t i = 0; p->has_meta && i < p->nlocs; i++) {
		const struct location *l = &p->locs[i];

		inflame_pb_reset(&m);
		inflame_pb_uint(&m, LOCATION_ID, i + 1);
		inflame_pb_uint(&m, LOCATION_MAPPING_ID, l->mapping ? newid[l->mapping - 1] : 0);
		inflame_pb_uint(&m, LOCATION_ADDRESS, l->addr);
		for (size_t k = 0; k < l->n; k++) {
			inflame_pb_reset(&line);
			inflame_pb_uint(&line, LINE_FUNCTION_ID, p->line_fn[l->first + k]);
			inflame_pb_int(&line, LINE_LINE, (int64_t)p->line_no[l->first + k]);
			inflame_pb_msg(&m, LOCATION_LINE, &line);
		}
		inflame_pb_msg(&b, PROFILE_LOCATION, &m);
	}
	for (size_t i = 0; !p->has_meta && i < p->nfn; i++) {
		inflame_pb_reset(&line);
		inflame_pb_uint(&line, LINE_FUNCTION_ID, i + 1);
		inflame_pb_reset(&m);
		inflame_pb_uint(&m, LOCATION_ID, i + 1);
		inflame_pb_msg(&m, LOCATION_LINE, &line);
		inflame_pb_msg(&b, PROFILE_LOCATION, &m);
	}
	for (size_t i = 0; i < p->nfn; i++) {
		inflame_pb_reset(&m);
		inflame_pb_uint(&m, FUNCTION_ID, i + 1);
		inflame_pb_uint(&m, FUNCTION_NAME, p->fn_name[i]);
		inflame_pb_uint(&m, FUNCTION_SYSTEM_NAME,
				p->fn_sys[i] ? p->fn_sys[i] : p->fn_name[i]);
		inflame_pb_uint(&m, FUNCTION_FILENAME, p->fn_file[i]);
		if (p->fn_start[i])
			inflame_pb_int(&m, FUNCTION_START_LINE, (int64_t)p->fn_start[i]);
		inflame_pb_msg(&b, PROFILE_FUNCTION, &m);
	}
	for (size_t i = 0; i < p->nstr; i++)
		inflame_pb_bytes(&b, PROFILE_STRING_TABLE, p->str[i], p->strlen[i]);
	if (p->time_nanos)
		inflame_pb_int(&b, PROFILE_TIME_NANOS, p->time_nanos);
	if (p->duration_nanos)
		inflame_pb_int(&b, PROFILE_DURATION_NANOS, p->duration_nanos);
	if (p->has_period) {
		value_type(&b, &m, PROFILE_PERIOD_TYPE, p->period_type, p->period_unit);
		inflame_pb_int(&b, PROFILE_PERIOD, p->period);
	}
	if (p->default_type)
		inflame_pb_uint(&b, PROFILE_DEFAULT_SAMPLE_TYPE, p->default_type);
	inflame_pb_free(&m);
	inflame_pb_free(&line);
	free(order);
	free(newid);
	if (b.oom) {
		inflame_pb_free(&b);
		return -ENOMEM;
	}
	*out = b.d;
	*len = b.n;
	return 0;
}

int inflame_pprof_gzip(const uint8_t *data, size_t len, uint8_t **out, size_t *outlen)
{
	z_stream z;
	uint8_t *buf;
	size_t cap;
	int zr;

	memset(&z, 0, sizeof(z));
	/* 15 + 16: a gzip header and trailer around the deflate stream. */
	if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		return -ENOMEM;
	cap = deflateBound(&z, (uLong)len) + 64;
	buf = malloc(cap);
	if (!buf) {
		deflateEnd(&z);
		return -ENOMEM;
	}
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)len;
	z.next_out = buf;
	z.avail_out = (uInt)cap;
	zr = deflate(&z, Z_FINISH);
	deflateEnd(&z);
	if (zr != Z_STREAM_END || len > UINT32_MAX) {
		free(buf);
		return -ENOMEM;
	}
	*out = buf;
	*outlen = z.total_out;
	return 0;
}
