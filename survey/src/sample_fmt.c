/*
 * sample_fmt.c -- a sampled 测评 campaign's report as JSON, CSV and a
 * terminal table (sample.h).  Every output names the figures 抽样测评 and
 * says how they were computed.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "anxin/csv.h"
#include "anxin/sample.h"
#include "anxin_int.h"

/* Round to 4 decimals so the JSON is stable across libm versions. */
static double r4(double x) { return (double)(long long)(x * 10000 + 0.5) / 10000; }

static json_t *real_or_null(int have, double x)
{
	return have ? json_real(r4(x)) : json_null();
}

static const char method[] =
    "AAPOR RR1 = I/(I+P+R+NC+UH), contact rate = (I+P+R)/(I+P+R+NC+UH); "
    "weights N_h/r_h (1/pi_h adjusted for non-response in the stratum); "
    "ratio estimator; Taylor-linearised stratified variance with finite "
    "population correction; 95% Wilson interval on n_eff = R(1-R)/V";

char *ax_sample_report_json(const struct ax_sample_report *r)
{
	json_t *root = json_object(), *c = json_object(), *strata = json_array(),
	       *d = json_object(), *est = json_array();
	char *out;

	json_object_set_new(root, "kind", json_string("sampled"));
	json_object_set_new(root, "label", json_string("抽样测评"));
	json_object_set_new(c, "id", json_string(r->c.id));
	json_object_set_new(c, "name", json_string(r->c.name));
	json_object_set_new(c, "survey", json_string(r->c.survey));
	json_object_set_new(c, "survey_version", json_integer(r->c.survey_version));
	json_object_set_new(c, "wave", json_string(r->c.wave));
	json_object_set_new(c, "scope", json_string(r->c.scope));
	json_object_set_new(c, "starts_at", json_integer(r->c.starts_at));
	json_object_set_new(c, "ends_at", json_integer(r->c.ends_at));
	json_object_set_new(c, "sample_n", json_integer(r->c.sample_n));
	json_object_set_new(c, "strata", json_string(ax_strata_name(r->c.strata)));
	json_object_set_new(c, "seed", json_integer(r->c.seed));
	json_object_set_new(root, "campaign", c);
	for (int h = 0; h < r->nstrata; h++) {
		const struct ax_stratum *x = &r->strata[h];
		json_t *o = json_object();
		json_object_set_new(o, "code", json_string(x->code));
		json_object_set_new(o, "name", json_string(x->name));
		json_object_set_new(o, "frame", json_integer(x->frame));
		json_object_set_new(o, "sample", json_integer(x->sample));
		json_object_set_new(o, "complete", json_integer(x->complete));
		json_object_set_new(o, "prob", json_real(r4((double)x->sample / (double)x->frame)));
		json_array_append_new(strata, o);
	}
	json_object_set_new(root, "strata", strata);
	json_object_set_new(d, "drawn", json_integer(r->disp.drawn));
	json_object_set_new(d, "complete", json_integer(r->disp.complete));
	json_object_set_new(d, "partial", json_integer(r->disp.partial));
	json_object_set_new(d, "refused", json_integer(r->disp.refused));
	json_object_set_new(d, "noncontact", json_integer(r->disp.noncontact));
	json_object_set_new(d, "unknown", json_integer(r->disp.unknown));
	json_object_set_new(d, "rr1", real_or_null(r->disp.drawn > 0, r->disp.rr1));
	json_object_set_new(d, "contact_rate",
	                    real_or_null(r->disp.drawn > 0, r->disp.contact_rate));
	json_object_set_new(root, "dispositions", d);
	for (int k = 0; k < r->nest; k++) {
		const struct ax_estimate *e = &r->est[k];
		int have = e->unweighted.den > 0;
		json_t *o = json_object(), *w = json_object(), *u = json_object();
		json_object_set_new(o, "id", json_string(e->id));
		json_object_set_new(o, "name", json_string(e->name));
		json_object_set_new(o, "target", json_real(r4(e->target)));
		json_object_set_new(w, "rate", real_or_null(have, e->est));
		json_object_set_new(w, "low", real_or_null(have, e->low));
		json_object_set_new(w, "high", real_or_null(have, e->high));
		json_object_set_new(w, "se", real_or_null(have, e->se));
		json_object_set_new(w, "n_eff", real_or_null(have, e->n_eff));
		json_object_set_new(w, "deff", real_or_null(have && e->deff > 0, e->deff));
		json_object_set_new(o, "weighted", w);
		json_object_set_new(u, "num", json_integer(e->unweighted.num));
		json_object_set_new(u, "den", json_integer(e->unweighted.den));
		json_object_set_new(u, "rate", real_or_null(have, e->unweighted.rate));
		json_object_set_new(u, "low", real_or_null(have, e->unweighted.low));
		json_object_set_new(u, "high", real_or_null(have, e->unweighted.high));
		json_object_set_new(u, "small_sample", json_boolean(e->unweighted.small_sample));
		json_object_set_new(o, "unweighted", u);
		json_object_set_new(o, "dont_know", json_integer(e->dont_know));
		json_object_set_new(o, "single_strata", json_integer(e->single_strata));
		json_object_set_new(o, "met", json_boolean(e->met));
		json_object_set_new(o, "verdict",
		                    json_string(ax_verdict_id(ax_estimate_verdict(e))));
		json_array_append_new(est, o);
	}
	json_object_set_new(root, "estimates", est);
	json_object_set_new(root, "method", json_string(method));
	out = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	json_decref(root);
	return out;
}

/* "93.5% [88.1,96.6]" (or "-" without a denominator) padded to width. */
static void pct(struct ax_buf *b, int have, double rate, double lo, double hi,
                int width)
{
	struct ax_buf cell = {0};
	char *s;

	if (!have)
		ax__buf_puts(&cell, "-");
	else
		ax__buf_printf(&cell, "%.1f%% [%.1f,%.1f]", 100 * rate, 100 * lo,
		               100 * hi);
	s = ax__buf_take(&cell);
	ax__buf_pad(b, s ? s : "", width, 0);
	free(s);
}

char *ax_sample_report_table(const struct ax_sample_report *r)
{
	struct ax_buf b = {0};
	const struct ax_dispositions *d = &r->disp;

	ax__buf_printf(&b, "抽样测评 %s（%s）  问卷 %s  抽样 %d 户，按%s分层，种子 %lld\n",
	               r->c.name, r->c.id, r->c.survey, r->c.sample_n,
	               r->c.strata == AX_STRATA_TOWNSHIP ? "乡镇" : "村（社区）",
	               r->c.seed);
	ax__buf_printf(&b, "应答率 RR1 %.1f%%（%lld/%lld）  接触率 %.1f%%\n",
	               100 * d->rr1, d->complete, d->drawn, 100 * d->contact_rate);
	ax__buf_printf(&b, "  完成 I %lld  部分 P %lld  拒答/退订 R %lld  "
	                   "未回复 NC %lld  未确认送达 UH %lld\n",
	               d->complete, d->partial, d->refused, d->noncontact, d->unknown);
	ax__buf_pad(&b, "指标", 24, 0);
	ax__buf_pad(&b, "加权估计 [95%区间]", 26, 0);
	ax__buf_pad(&b, "未加权 [Wilson]", 24, 0);
	ax__buf_puts(&b, "  分子/分母  说不清  有效样本  达标\n");
	for (int k = 0; k < r->nest; k++) {
		const struct ax_estimate *e = &r->est[k];
		int have = e->unweighted.den > 0;
		ax__buf_pad(&b, e->name, 24, 0);
		pct(&b, have, e->est, e->low, e->high, 26);
		pct(&b, have, e->unweighted.rate, e->unweighted.low,
		    e->unweighted.high, 24);
		ax__buf_printf(&b, "  %lld/%lld  %lld  %.1f  %s%s\n", e->unweighted.num,
		               e->unweighted.den, e->dont_know, e->n_eff,
		               ax_verdict_label(ax_estimate_verdict(e)),
		               have && e->unweighted.small_sample ? "*" : "");
	}
	ax__buf_puts(&b, "分层：");
	for (int h = 0; h < r->nstrata; h++)
		ax__buf_printf(&b, "%s%s %lld/%lld 户抽中、%lld 完成", h ? "；" : "",
		               r->strata[h].name, r->strata[h].sample,
		               r->strata[h].frame, r->strata[h].complete);
	ax__buf_printf(&b, "\n* 答卷不足30份：样本不足，达标与否仅供参考\n方法：%s\n", method);
	return ax__buf_take(&b);
}

static int put_buf(void *ctx, const char *s, size_t n)
{
	ax__buf_put(ctx, s, n);
	return 0;
}

char *ax_sample_report_csv(const struct ax_sample_report *r)
{
	struct ax_buf b = {0};
	const struct ax_dispositions *d = &r->disp;

	ax__buf_puts(&b, "\xEF\xBB\xBF");
	ax__buf_puts(&b, "类别,活动,指标,加权估计,下限,上限,标准误,有效样本,"
	                 "未加权分子,未加权分母,未加权,未加权下限,未加权上限,"
	                 "说不清,达标线,达标,抽中户,完成,部分,拒答,未回复,"
	                 "未确认送达,应答率RR1,接触率\r\n");
	for (int k = 0; k < r->nest; k++) {
		const struct ax_estimate *e = &r->est[k];
		ax__buf_puts(&b, "抽样测评,");
		ax_csv_cell_to(put_buf, &b, r->c.name);
		ax__buf_puts(&b, ",");
		ax_csv_cell_to(put_buf, &b, e->name);
		if (e->unweighted.den)
			ax__buf_printf(&b, ",%.4f,%.4f,%.4f,%.4f,%.1f,%lld,%lld,%.4f,%.4f,%.4f",
			               e->est, e->low, e->high, e->se, e->n_eff,
			               e->unweighted.num, e->unweighted.den,
			               e->unweighted.rate, e->unweighted.low,
			               e->unweighted.high);
		else
			ax__buf_printf(&b, ",,,,,,%lld,0,,,", e->unweighted.num);
		ax__buf_printf(&b, ",%lld,%.2f,%s,%lld,%lld,%lld,%lld,%lld,%lld,%.4f,%.4f\r\n",
		               e->dont_know, e->target,
		               ax_verdict_label(ax_estimate_verdict(e)), d->drawn,
		               d->complete, d->partial, d->refused, d->noncontact,
		               d->unknown, d->rr1, d->contact_rate);
	}
	return ax__buf_take(&b);
}
