/*
 * The differential views of diff.h. Merging re-interns each side's frame names into the
 * differential set. The rows come from one pass over its stacks, as report's table does: a
 * per-name mark of the last stack seen makes recursion count once per stack in the totals.
 * Shares are computed against each side's own total, so they do not depend on scaling.
 */
#include "view/diff.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int add_side(struct inflame_stackset *d, const struct inflame_stackset *side, int before,
		    const double *scale)
{
	uint32_t *buf = NULL;
	size_t cap = 0;
	int rc = 0;

	for (size_t i = 0; i < inflame_stackset_count(side) && !rc; i++) {
		const uint32_t *f;
		size_t n;
		uint64_t count, base;

		inflame_stackset_get(side, i, &f, &n, &count);
		base = inflame_stackset_is_diff(side) ? inflame_stackset_base(side, i) : count;
		if (n > cap) {
			uint32_t *nb = realloc(buf, n * sizeof(*buf));

			if (!nb) {
				rc = -ENOMEM;
				break;
			}
			buf = nb;
			cap = n;
		}
		for (size_t k = 0; k < n; k++) {
			size_t len;
			const char *name = inflame_stackset_name(side, f[k], &len);

			buf[k] = inflame_stackset_intern(d, name, len);
			if (buf[k] == UINT32_MAX)
				rc = -ENOMEM;
		}
		if (rc)
			break;
		if (scale)
			rc = inflame_stackset_add_diff(
			    d, buf, n, (uint64_t)llround((double)base * *scale), count);
		else if (before)
			rc = inflame_stackset_add_diff(d, buf, n, count, 0);
		else
			rc = inflame_stackset_add_diff(d, buf, n, 0, count);
	}
	free(buf);
	return rc;
}

int inflame_diff_add(struct inflame_stackset *d, const struct inflame_stackset *side, int before)
{
	return add_side(d, side, before, NULL);
}

struct inflame_stackset *inflame_diff_normalized(const struct inflame_stackset *d)
{
	struct inflame_stackset *out = inflame_stackset_new();
	uint64_t tb = inflame_stackset_base_total(d), ta = inflame_stackset_total(d);
	double scale = tb ? (double)ta / (double)tb : 1.0;

	if (!out)
		return NULL;
	if (add_side(out, d, 0, &scale) < 0) {
		inflame_stackset_free(out);
		return NULL;
	}
	return out;
}

static double biggest(const struct inflame_diff_row *r)
{
	double s = fabs(r->dself), t = fabs(r->dtotal);

	return s > t ? s : t;
}

static const struct inflame_stackset *sort_names;

static int row_cmp(const void *pa, const void *pb)
{
	const struct inflame_diff_row *a = pa, *b = pb;
	double x = biggest(a), y = biggest(b);

	if (x != y)
		return x < y ? 1 : -1;
	return strcmp(inflame_stackset_name(sort_names, a->id, NULL),
		      inflame_stackset_name(sort_names, b->id, NULL));
}

int inflame_diff_rows(const struct inflame_stackset *d, struct inflame_diff_row **rows,
		      size_t *nrows)
{
	size_t nnames = inflame_stackset_nframes_total(d), n = 0;
	struct inflame_diff_row *r = calloc(nnames ? nnames : 1, sizeof(*r));
	size_t *mark = calloc(nnames ? nnames : 1, sizeof(*mark));
	uint64_t tb = inflame_stackset_base_total(d), ta = inflame_stackset_total(d);

	if (!r || !mark) {
		free(r);
		free(mark);
		return -ENOMEM;
	}
	for (size_t i = 0; i < inflame_stackset_count(d); i++) {
		const uint32_t *f;
		size_t nf;
		uint64_t a, b;

		inflame_stackset_get(d, i, &f, &nf, &a);
		b = inflame_stackset_base(d, i);
		if (!nf)
			continue;
		r[f[nf - 1]].self_a += a;
		r[f[nf - 1]].self_b += b;
		for (size_t k = 0; k < nf; k++) {
			if (mark[f[k]] == i + 1)
				continue;
			mark[f[k]] = i + 1;
			r[f[k]].total_a += a;
			r[f[k]].total_b += b;
		}
	}
	for (size_t i = 0; i < nnames; i++) {
		struct inflame_diff_row x = r[i];

		if (!x.total_a && !x.total_b)
			continue;
		x.id = (uint32_t)i;
		x.dself = (ta ? 100.0 * (double)x.self_a / (double)ta : 0) -
			  (tb ? 100.0 * (double)x.self_b / (double)tb : 0);
		x.dtotal = (ta ? 100.0 * (double)x.total_a / (double)ta : 0) -
			   (tb ? 100.0 * (double)x.total_b / (double)tb : 0);
		r[n++] = x;
	}
	sort_names = d;
	qsort(r, n, sizeof(*r), row_cmp);
	free(mark);
	*rows = r;
	*nrows = n;
	return 0;
}
