/*
 * The `perf script` reader: collapses perf's text output into weighted stacks the way
 * stackcollapse-perf.pl does, so that `inflame flamegraph` can replace that script too.
 *
 * perf prints one sample per paragraph: a header line starting in column 0
 * ("comm pid/tid [cpu] time: period event:"; every field but the command name may be absent
 * under -F), then one indented line per frame, leaf first ("addr symbol+0xoff (module)"),
 * then a blank line. The process name becomes the root frame (with "-pid" or "-pid/tid" when
 * asked), offsets are stripped, "[unknown]" symbols are replaced by the module's base name,
 * argument lists and quotes are removed from symbols, and each sample weighs its period
 * (1 when perf did not print one). Only the first event named in the input is kept, samples
 * of other events are counted in skipped, as are samples filtered out by --pid/--tid.
 *
 * The state (struct inflame__perfscript_state) lives across calls so a large input can be fed
 * in pieces that end at line boundaries; a sample in progress when a piece ends continues
 * with the next one.
 */
#include "input/source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Hexadecimal digits, by byte value: a table lookup keeps the address scans cheap. */
static const unsigned char hex_digit[256] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
};

static int is_hex(char c)
{
	return hex_digit[(unsigned char)c];
}

void inflame__perfscript_init(struct inflame__perfscript_state *ps)
{
	memset(ps, 0, sizeof(*ps));
	ps->root = UINT32_MAX;
}

void inflame__perfscript_free(struct inflame__perfscript_state *ps)
{
	free(ps->frames);
	free(ps->scratch);
	ps->frames = NULL;
	ps->scratch = NULL;
	ps->cap = ps->scratch_cap = 0;
}

static int reserve_scratch(struct inflame__perfscript_state *ps, size_t n)
{
	char *q;
	size_t cap = ps->scratch_cap ? ps->scratch_cap : 256;

	if (n <= ps->scratch_cap)
		return 0;
	while (cap < n)
		cap *= 2;
	q = realloc(ps->scratch, cap);
	if (!q)
		return -ENOMEM;
	ps->scratch = q;
	ps->scratch_cap = cap;
	return 0;
}

/* Adds the sample in progress (if any) to the set: root first, so the frames are reversed. */
static int flush_sample(struct inflame__perfscript_state *ps, struct inflame_stackset *ss,
			struct inflame_load_stats *st)
{
	size_t n = ps->nframes, k = 0;
	int rc;

	if (!ps->in_sample)
		return 0;
	ps->in_sample = 0;
	ps->nframes = 0;
	if (ps->skip) {
		st->skipped++;
		return 0;
	}
	if (n + 1 > ps->cap) {
		uint32_t *q = realloc(ps->frames, (n + 1) * sizeof(*q));

		if (!q)
			return -ENOMEM;
		ps->frames = q;
		ps->cap = n + 1;
	}
	/* Reverse in place, then put the root in front. */
	for (size_t i = 0; i < n / 2; i++) {
		uint32_t t = ps->frames[i];

		ps->frames[i] = ps->frames[n - 1 - i];
		ps->frames[n - 1 - i] = t;
	}
	if (ps->root != UINT32_MAX) {
		memmove(ps->frames + 1, ps->frames, n * sizeof(*ps->frames));
		ps->frames[0] = ps->root;
		k = 1;
	}
	if (n + k == 0)
		return 0;
	rc = inflame_stackset_add(ss, ps->frames, n + k, ps->period);
	if (rc == 0)
		st->samples++;
	return rc;
}

/*
 * Parses a header line. The command name is the shortest prefix (at least two characters,
 * as stackcollapse-perf's pattern has it) that is followed by blanks and a "pid/tid" or "tid"
 * number; the period and event are the last two fields before the trailing colon.
 */
static int parse_header(struct inflame__perfscript_state *ps, const char *l, size_t n,
			const struct inflame_load_opts *o, struct inflame_stackset *ss)
{
	size_t comm_len = 0, i, e;
	long pid = -1, tid = -1;
	const char *ev = NULL;
	size_t evlen = 0;
	int len;

	ps->period = 1;
	ps->skip = 0;
	for (i = 1; i < n; i++) {
		size_t j = i, k;
		long a = 0, b = -1;

		if (!is_blank(l[i]) || i < 2)
			continue;
		while (j < n && is_blank(l[j]))
			j++;
		if (j == n || !is_digit(l[j]))
			continue;
		for (k = j; k < n && is_digit(l[k]); k++)
			a = a < 100000000000L ? a * 10 + (l[k] - '0') : a;
		if (k < n && l[k] == '/') {
			k++;
			b = 0;
			for (; k < n && is_digit(l[k]); k++)
				b = b < 100000000000L ? b * 10 + (l[k] - '0') : b;
		}
		if (k < n && !is_blank(l[k]))
			continue;
		comm_len = i;
		if (b >= 0) {
			pid = a;
			tid = b;
		} else {
			tid = a;
		}
		break;
	}
	if (!comm_len) {
		/* No pid at all (perf script -F comm,...): the first field is the command. */
		for (comm_len = 0; comm_len < n && !is_blank(l[comm_len]); comm_len++)
			;
	}

	/* "...: [period] event:" at the end of the line. */
	e = n;
	while (e > 0 && is_blank(l[e - 1]))
		e--;
	if (e > 1 && l[e - 1] == ':') {
		size_t s = e - 1, t;

		while (s > 0 && !is_blank(l[s - 1]))
			s--;
		t = s;
		while (t > 0 && is_blank(l[t - 1]))
			t--;
		if (t > 0 && s > comm_len) {
			size_t d = t;
			uint64_t period = 0;

			while (d > 0 && is_digit(l[d - 1]))
				d--;
			if (d < t) {
				for (size_t q = d; q < t; q++)
					period = period < UINT64_MAX / 10
						     ? period * 10 + (uint64_t)(l[q] - '0')
						     : period;
				while (d > 0 && is_blank(l[d - 1]))
					d--;
			}
			if (d > 0 && l[d - 1] == ':') {
				ev = l + s;
				evlen = e - 1 - s;
				if (d < t && period > 0)
					ps->period = period;
			}
		}
	}
	if (ev && evlen) {
		if (evlen >= sizeof(ps->event))
			evlen = sizeof(ps->event) - 1;
		if (!ps->event[0]) {
			memcpy(ps->event, ev, evlen);
			ps->event[evlen] = 0;
		} else if (strlen(ps->event) != evlen || memcmp(ps->event, ev, evlen)) {
			ps->skip = 1;
		}
	}
	if (o && o->only_pid > 0 && (pid >= 0 ? pid : tid) != o->only_pid)
		ps->skip = 1;
	if (o && !inflame_load_keeps_tid(o, tid))
		ps->skip = 1;

	ps->in_sample = 1;
	ps->nframes = 0;
	ps->root = UINT32_MAX;
	ps->java = comm_len == 4 && !memcmp(l, "java", 4);
	if (o && o->no_comm)
		return 0;
	if (reserve_scratch(ps, comm_len + 64) < 0)
		return -ENOMEM;
	for (i = 0; i < comm_len; i++)
		ps->scratch[i] = is_blank(l[i]) ? '_' : l[i];
	len = (int)comm_len;
	if (o && o->threads)
		len += pid >= 0 ? snprintf(ps->scratch + len, 64, "-%ld/%ld", pid, tid)
				: snprintf(ps->scratch + len, 64, "-?/%ld", tid);
	else if (o && o->pid)
		len += pid >= 0 ? snprintf(ps->scratch + len, 64, "-%ld", pid)
				: snprintf(ps->scratch + len, 64, "-?");
	ps->root = inflame_stackset_intern(ss, ps->scratch, (size_t)len);
	return ps->root == UINT32_MAX ? -ENOMEM : 0;
}

static const char anon_ns[] = "(anonymous namespace)";

/* Whether s[0..n) contains ".(" followed later by ")." (a Java lambda-like name whose
 * parentheses are part of the name, which stackcollapse-perf leaves alone). */
static int has_dotted_parens(const char *s, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++)
		if (s[i] == '.' && s[i + 1] == '(')
			for (size_t j = i + 2; j + 1 < n; j++)
				if (s[j] == ')' && s[j + 1] == '.')
					return 1;
	return 0;
}

/* Parses one frame line and pushes its frame; returns 0, 1 when the line is not a frame,
 * or -ENOMEM. */
static int parse_frame(struct inflame__perfscript_state *ps, const char *l, size_t n,
		       const struct inflame_load_opts *o, struct inflame_stackset *ss, int is_java)
{
	const char *pc = NULL, *sym, *mod = NULL;
	size_t pclen = 0, symlen, modlen = 0, i, out = 0;
	uint32_t id;
	int keep_addrs = o && o->keep_addrs;

	while (n > 0 && is_blank(*l))
		l++, n--;
	while (n > 0 && is_blank(l[n - 1]))
		n--;
	if (n == 0)
		return 1;
	for (i = 0; i < n && is_hex(l[i]); i++)
		;
	if (i > 0 && (i == n || is_blank(l[i]))) {
		pc = l;
		pclen = i;
		while (i < n && is_blank(l[i]))
			i++;
	} else {
		i = 0;
	}
	sym = l + i;
	symlen = n - i;
	/* The module is in the last parentheses when they hold no blank and follow a blank. */
	if (symlen >= 2 && sym[symlen - 1] == ')') {
		const char *open = memrchr(sym, '(', symlen - 1);
		size_t j = open ? (size_t)(open - sym) + 1 : 0;

		if (j > 0 && !memchr(sym + j, ' ', symlen - 1 - j) &&
		    !memchr(sym + j, '\t', symlen - 1 - j) && (j == 1 || is_blank(sym[j - 2]))) {
			mod = sym + j;
			modlen = symlen - 1 - j;
			symlen = j - 1;
			while (symlen > 0 && is_blank(sym[symlen - 1]))
				symlen--;
		}
	}
	if (!pc && !mod)
		return 1;
	if (!keep_addrs && symlen > 3) {
		/* Strip "+0x1f" offsets. */
		size_t j = symlen;

		while (j > 0 && is_hex(sym[j - 1]))
			j--;
		if (j < symlen && j >= 3 && sym[j - 1] == 'x' && sym[j - 2] == '0' &&
		    sym[j - 3] == '+')
			symlen = j - 3;
	}
	if (symlen > 0 && sym[0] == '(' &&
	    !(symlen >= sizeof(anon_ns) - 1 && !memcmp(sym, anon_ns, sizeof(anon_ns) - 1)))
		return 0; /* a process name, as perf prints for some kernel threads */
	if (reserve_scratch(ps, symlen + modlen + pclen + 8) < 0)
		return -ENOMEM;
	if (symlen == 0 || (symlen == 9 && !memcmp(sym, "[unknown]", 9))) {
		const char *base = "unknown";
		size_t blen = 7;

		if (mod && modlen && !(modlen == 9 && !memcmp(mod, "[unknown]", 9))) {
			const char *slash = mod + modlen;

			while (slash > mod && slash[-1] != '/')
				slash--;
			base = slash;
			blen = (size_t)(mod + modlen - slash);
		}
		ps->scratch[out++] = '[';
		memcpy(ps->scratch + out, base, blen);
		out += blen;
		if (keep_addrs && pc) {
			memcpy(ps->scratch + out, " <", 2);
			out += 2;
			memcpy(ps->scratch + out, pc, pclen);
			out += pclen;
			ps->scratch[out++] = '>';
		}
		ps->scratch[out++] = ']';
	} else {
		size_t cut = symlen;

		/* Argument lists go, except "(anonymous namespace)" and Java-like ".(...)." names.
		 * Most symbols have no parenthesis at all, so look for one first. */
		const char *paren = memchr(sym, '(', symlen);

		if (paren && !has_dotted_parens(sym, symlen)) {
			for (size_t j = (size_t)(paren - sym); j < symlen; j++) {
				if (sym[j] != '(')
					continue;
				if (symlen - j >= sizeof(anon_ns) - 1 &&
				    !memcmp(sym + j, anon_ns, sizeof(anon_ns) - 1)) {
					j += sizeof(anon_ns) - 2;
					continue;
				}
				cut = j;
				break;
			}
		}
		if (is_java && cut > 1 && sym[0] == 'L' && memchr(sym, '/', cut))
			sym++, cut--;
		if (!memchr(sym, '"', cut) && !memchr(sym, '\'', cut) && !memchr(sym, ';', cut)) {
			memcpy(ps->scratch, sym, cut);
			out = cut;
		} else {
			for (size_t j = 0; j < cut; j++) {
				char c = sym[j];

				if (c == '"' || c == '\'')
					continue;
				ps->scratch[out++] = c == ';' ? ':' : c;
			}
		}
	}
	if (ps->nframes == ps->cap) {
		size_t ncap = ps->cap ? ps->cap * 2 : 64;
		uint32_t *q = realloc(ps->frames, ncap * sizeof(*q));

		if (!q)
			return -ENOMEM;
		ps->frames = q;
		ps->cap = ncap;
	}
	id = inflame_stackset_intern(ss, ps->scratch, out);
	if (id == UINT32_MAX)
		return -ENOMEM;
	ps->frames[ps->nframes++] = id;
	return 0;
}

int inflame__perfscript_feed(struct inflame__perfscript_state *ps, const char *data, size_t len,
			     const struct inflame_load_opts *o, struct inflame_stackset *ss,
			     struct inflame_load_stats *st, char *err, size_t errlen)
{
	const char *p = data, *end = data + len;
	int rc = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *l = p;
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p), k;

		p = nl ? nl + 1 : end;
		while (n > 0 && (l[n - 1] == '\r' || l[n - 1] == ' ' || l[n - 1] == '\t'))
			n--;
		if (n == 0) {
			rc = flush_sample(ps, ss, st);
			if (rc < 0)
				goto out;
			continue;
		}
		if (l[0] == '#')
			continue;
		if (!is_blank(l[0])) {
			rc = flush_sample(ps, ss, st);
			if (rc < 0)
				goto out;
			rc = parse_header(ps, l, n, o, ss);
			if (rc < 0)
				goto out;
			continue;
		}
		for (k = 0; k < n && is_blank(l[k]); k++)
			;
		if (!ps->in_sample) {
			st->bad_lines++;
			continue;
		}
		if (ps->skip)
			continue;
		rc = parse_frame(ps, l, n, o, ss, ps->java);
		if (rc < 0)
			goto out;
		if (rc == 1) {
			st->bad_lines++;
			rc = 0;
		}
	}
out:
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	return rc;
}

int inflame__perfscript_finish(struct inflame__perfscript_state *ps, struct inflame_stackset *ss,
			       struct inflame_load_stats *st, char *err, size_t errlen)
{
	int rc = flush_sample(ps, ss, st);

	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	return rc;
}

int inflame_perfscript_load(const char *data, size_t len, const struct inflame_load_opts *o,
			    struct inflame_stackset *ss, struct inflame_load_stats *st, char *err,
			    size_t errlen)
{
	struct inflame__perfscript_state ps;
	int rc;

	inflame__perfscript_init(&ps);
	rc = inflame__perfscript_feed(&ps, data, len, o, ss, st, err, errlen);
	if (rc == 0)
		rc = inflame__perfscript_finish(&ps, ss, st, err, errlen);
	inflame__perfscript_free(&ps);
	return rc;
}

int inflame__text_is_perfscript(const char *data, size_t len)
{
	const char *p = data, *end = data + len;
	int lines = 0, headers = 0;

	/* perf script text has indented frame lines after a header in column 0; folded text
	 * never starts a line with a blank. A perf header comment block also settles it. */
	if (len >= 10 && !memcmp(data, "# ========", 10))
		return 1;
	while (p < end && lines < 200) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (n > 0 && p[0] != '#') {
			if (is_blank(p[0])) {
				size_t k = 0;

				while (k < n && is_blank(p[k]))
					k++;
				if (k < n && headers)
					return 1;
			} else {
				headers++;
			}
		}
		lines++;
		if (!nl)
			break;
		p = nl + 1;
	}
	return 0;
}

/* Does a column-0 line look like a perf script sample header: a command name followed by a
 * "pid/tid" or "tid" number, or a line that ends in "event:"? */
static int header_like(const char *l, size_t n)
{
	while (n > 0 && is_blank(l[n - 1]))
		n--;
	if (n > 1 && l[n - 1] == ':' && memchr(l, ' ', n))
		return 1;
	for (size_t i = 1; i < n; i++) {
		size_t k;

		if (!is_blank(l[i]) || is_blank(l[i - 1]))
			continue;
		k = i;
		while (k < n && is_blank(l[k]))
			k++;
		if (k == n || !is_digit(l[k]))
			continue;
		while (k < n && is_digit(l[k]))
			k++;
		if (k < n && l[k] == '/') {
			k++;
			if (k == n || !is_digit(l[k]))
				continue;
			while (k < n && is_digit(l[k]))
				k++;
		}
		if (k == n || is_blank(l[k]))
			return 1;
	}
	return 0;
}

/* Is an indented line a frame: blanks, a hexadecimal address, then a blank or the end? */
static int frame_like(const char *l, size_t n)
{
	size_t i = 0, k;

	while (i < n && is_blank(l[i]))
		i++;
	for (k = i; k < n && is_hex(l[k]); k++)
		;
	return i > 0 && k > i && (k == n || is_blank(l[k]));
}

/* Does the one frame of a strict folded line hold a blank before its count(s)? */
static int folded_frame_has_blank(const char *l, size_t n)
{
	int counts = 0;

	/* Drop up to two trailing counts, then look for a blank in what is left. */
	while (n > 0 && is_blank(l[n - 1]))
		n--;
	while (counts < 2 && n > 0 && (is_digit(l[n - 1]) || l[n - 1] == '.')) {
		while (n > 0 && (is_digit(l[n - 1]) || l[n - 1] == '.'))
			n--;
		while (n > 0 && is_blank(l[n - 1]))
			n--;
		counts++;
	}
	for (size_t i = 0; i < n; i++)
		if (is_blank(l[i]))
			return 1;
	return 0;
}

void inflame__text_sniff(const char *data, size_t len, struct inflame__text_sniff *out)
{
	const char *p = data, *end = data + len, *prev = NULL;
	size_t prevlen = 0;
	unsigned lineno = 0;

	memset(out, 0, sizeof(*out));
	out->perf_header = len >= 10 && !memcmp(data, "# ========", 10);
	while (p < end && lineno < 4000) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *l = p;
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		p = nl ? nl + 1 : end;
		lineno++;
		while (n > 0 && is_blank(l[n - 1]))
			n--;
		if (n == 0 || l[0] == '#') {
			prev = NULL;
			continue;
		}
		out->lines++;
		if (inflame__folded_line_strict(l, n)) {
			out->folded++;
			if (memchr(l, ';', n))
				out->deep++;
			else if (!out->first_spaced && folded_frame_has_blank(l, n))
				out->first_spaced = lineno;
		} else if (!out->first_bad)
			out->first_bad = lineno;
		if (!is_blank(l[0])) {
			prev = l;
			prevlen = n;
			continue;
		}
		{
			/* perf script of a recording without -g: "  comm pid time: period event:
			 * addr sym (dso)" on one line, the command name right-aligned. */
			size_t k = 0;

			while (k < n && is_blank(l[k]))
				k++;
			if (!prev && l[n - 1] == ')' && header_like(l + k, n - k) &&
			    memchr(l + k, ':', n - k))
				out->flat++;
		}
		if (prev) {
			out->blocks++;
			if (header_like(prev, prevlen) && frame_like(l, n))
				out->samples++;
		}
		prev = NULL;
	}
}
