/*
 * config.c -- smsd.conf, in gammu's own INI syntax, read with
 * libiniparser.  Each [gammu] / [gammuN] section is one modem with
 * gammu's keys (device, connection, model); [smsd] holds the gateway's
 * settings:
 *
 *   [gammu]
 *   device = /dev/ttyUSB0
 *   connection = at115200
 *
 *   [smsd]
 *   store = /var/lib/anxin/anxin.db
 *   device_id = gw-jz-01
 *   quiet_hours = 21:00-08:00
 *   pace_per_min = 10
 *   campaign_gap = 43200  (seconds between a household's conversation
 *                          ending and the next campaign's first message)
 *   digest_gap = 86400    (seconds between any message to a household and
 *                          its next digest: one digest a day at most)
 *   pace_burst = 6        (seconds of the pace's share sent at once; 60:
 *                          the whole minute's share at once)
 *   daily_cap = 300
 *   remind_after = 86400
 *   expire_after = 259200
 *   signature = 【江州县平安办】
 */
#include <iniparser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anxin/content.h"
#include "anxin/text.h"
#include "gateway.h"

/* 0 when v is one 【name】 (no other bracket inside) that fits the room
 * content leaves for a signature. */
static int check_signature(const char *v)
{
	static const char open[] = "【", close[] = "】";
	size_t n = strlen(v), o = sizeof open - 1, k = sizeof close - 1;
	int units, ucs2;
	if (n <= o + k || strncmp(v, open, o) != 0 ||
	    strcmp(v + n - k, close) != 0 || strstr(v + o, open) ||
	    strstr(v + o, close) != v + n - k)
		return -1;
	ax_sms_segments(v, &units, &ucs2);
	return units > AX_SMS_SIGNATURE_MAX ? -1 : 0;
}

void gw_config_defaults(struct gw_config *c)
{
	memset(c, 0, sizeof *c);
	snprintf(c->device, sizeof c->device, "anxin-smsd");
	c->quiet_start = 21 * 60;
	c->quiet_end = 8 * 60;
	c->pace_per_min = 10;
	c->daily_cap = 300;
	c->pace_burst_s = 6;
	c->campaign_gap = 43200;
	c->digest_gap = 86400;
	gw_flow_opts_defaults(&c->flow);
	c->poll_ms = 2000;
	c->receive_frequency_ms = 15000;
	c->max_backoff = 300;
}

static int parse_hhmm(const char *s, int *min)
{
	int h, m;
	char tail;
	if (sscanf(s, "%d:%d%c", &h, &m, &tail) != 2 || h < 0 || h > 24 || m < 0 ||
	    m > 59 || h * 60 + m > 24 * 60)
		return -1;
	*min = h * 60 + m;
	return 0;
}

static void copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

ax_rc gw_config_load(const char *path, struct gw_config *c, char *err,
                     size_t errlen)
{
	dictionary *d = iniparser_load(path);
	int nsec, i;
	const char *v;
	char key[160];

	if (!d) {
		snprintf(err, errlen, "%s: cannot read the configuration", path);
		return AX_IO;
	}
	nsec = iniparser_getnsec(d);
	for (i = 0; i < nsec; i++) {
		const char *sec = iniparser_getsecname(d, i);
		struct gw_modem_cfg *m;
		if (!sec || strncmp(sec, "gammu", 5) != 0 ||
		    strspn(sec + 5, "0123456789") != strlen(sec + 5))
			continue;
		if (c->nmodems == GW_MAX_MODEMS) {
			snprintf(err, errlen, "%s: [%s]: at most %d modems", path, sec,
			         GW_MAX_MODEMS);
			iniparser_freedict(d);
			return AX_INVALID;
		}
		m = &c->modems[c->nmodems++];
		memset(m, 0, sizeof *m);
		copy(m->name, sizeof m->name, sec);
		snprintf(key, sizeof key, "%s:device", sec);
		copy(m->device, sizeof m->device, iniparser_getstring(d, key, ""));
		if (!m->device[0]) {
			snprintf(err, errlen, "%s: [%s]: \"device\" is required", path, sec);
			iniparser_freedict(d);
			return AX_INVALID;
		}
		snprintf(key, sizeof key, "%s:connection", sec);
		copy(m->connection, sizeof m->connection,
		     iniparser_getstring(d, key, "at"));
		snprintf(key, sizeof key, "%s:model", sec);
		copy(m->model, sizeof m->model, iniparser_getstring(d, key, ""));
		snprintf(key, sizeof key, "%s:part_timeout", sec);
		m->part_timeout = iniparser_getint(d, key, 600);
		snprintf(key, sizeof key, "%s:send_timeout", sec);
		m->send_timeout = iniparser_getint(d, key, 60);
		snprintf(key, sizeof key, "%s:hang_timeout", sec);
		m->hang_timeout = iniparser_getint(d, key, m->send_timeout + 60);
	}
	copy(c->store, sizeof c->store, iniparser_getstring(d, "smsd:store", ""));
	if (!c->store[0]) {
		snprintf(err, errlen, "%s: [smsd]: \"store\" is required", path);
		iniparser_freedict(d);
		return AX_INVALID;
	}
	v = iniparser_getstring(d, "smsd:gateway_db", "");
	if (v[0]) {
		copy(c->gateway_db, sizeof c->gateway_db, v);
	} else {
		const char *slash = strrchr(c->store, '/');
		if (slash)
			snprintf(c->gateway_db, sizeof c->gateway_db, "%.*s/gateway.db",
			         (int)(slash - c->store), c->store);
		else
			snprintf(c->gateway_db, sizeof c->gateway_db, "gateway.db");
	}
	copy(c->device, sizeof c->device,
	     iniparser_getstring(d, "smsd:device_id", c->device));
	v = iniparser_getstring(d, "smsd:quiet_hours", "");
	if (v[0]) {
		char a[16], b[16];
		if (sscanf(v, "%15[^-]-%15s", a, b) != 2 ||
		    parse_hhmm(a, &c->quiet_start) || parse_hhmm(b, &c->quiet_end)) {
			snprintf(err, errlen,
			         "%s: [smsd]: quiet_hours \"%s\" is not HH:MM-HH:MM", path, v);
			iniparser_freedict(d);
			return AX_INVALID;
		}
	}
	c->pace_per_min = iniparser_getint(d, "smsd:pace_per_min", c->pace_per_min);
	c->daily_cap = iniparser_getint(d, "smsd:daily_cap", c->daily_cap);
	c->pace_burst_s = iniparser_getint(d, "smsd:pace_burst", c->pace_burst_s);
	c->campaign_gap = iniparser_getint(d, "smsd:campaign_gap", c->campaign_gap);
	c->digest_gap = iniparser_getint(d, "smsd:digest_gap", c->digest_gap);
	c->flow.remind_after =
	    iniparser_getint(d, "smsd:remind_after", (int)c->flow.remind_after);
	c->flow.expire_after =
	    iniparser_getint(d, "smsd:expire_after", (int)c->flow.expire_after);
	c->poll_ms = iniparser_getint(d, "smsd:poll_ms", c->poll_ms);
	/* seconds, as gammu-smsd's ReceiveFrequency; fractions allowed */
	{
		double rf = iniparser_getdouble(d, "smsd:receive_frequency",
		                                c->receive_frequency_ms / 1000.0);
		/* checked below; clamped first so the cast cannot overflow */
		c->receive_frequency_ms = rf < 0 ? -1 : rf > 3600 ? 3600001 : (int)(rf * 1000);
	}
	c->max_backoff = iniparser_getint(d, "smsd:max_backoff", c->max_backoff);
	copy(c->clock_file, sizeof c->clock_file,
	     iniparser_getstring(d, "smsd:clock_file", ""));
	copy(c->sent_log, sizeof c->sent_log,
	     iniparser_getstring(d, "smsd:sent_log", ""));
	v = iniparser_getstring(d, "smsd:sent_log_numbers", "masked");
	if (strcmp(v, "masked") != 0 && strcmp(v, "full") != 0) {
		snprintf(err, errlen, "%s: [smsd]: sent_log_numbers \"%s\" must be "
		         "masked or full", path, v);
		iniparser_freedict(d);
		return AX_INVALID;
	}
	c->sent_log_full = strcmp(v, "full") == 0;
	copy(c->central_url, sizeof c->central_url,
	     iniparser_getstring(d, "smsd:central_url", ""));
	copy(c->token, sizeof c->token, iniparser_getstring(d, "smsd:token", ""));
	copy(c->scope, sizeof c->scope, iniparser_getstring(d, "smsd:scope", ""));
	v = iniparser_getstring(d, "smsd:signature", "");
	if (v[0] && check_signature(v)) {
		snprintf(err, errlen, "%s: [smsd]: signature \"%s\" must be one "
		         "【name】 of at most %d characters", path, v,
		         AX_SMS_SIGNATURE_MAX);
		iniparser_freedict(d);
		return AX_INVALID;
	}
	copy(c->signature, sizeof c->signature, v);
	iniparser_freedict(d);
	if (c->nmodems == 0) {
		snprintf(err, errlen, "%s: no [gammu] section: at least one modem", path);
		return AX_INVALID;
	}
	if (c->receive_frequency_ms < 0 || c->receive_frequency_ms > 3600000) {
		snprintf(err, errlen,
		         "%s: [smsd]: receive_frequency must be 0 to 3600 seconds", path);
		return AX_INVALID;
	}
	if (c->campaign_gap < 0 || c->digest_gap < 0) {
		snprintf(err, errlen, "%s: [smsd]: %s must be 0 or more seconds", path,
		         c->campaign_gap < 0 ? "campaign_gap" : "digest_gap");
		return AX_INVALID;
	}
	if (c->pace_burst_s < 1 || c->pace_burst_s > 60) {
		snprintf(err, errlen, "%s: [smsd]: pace_burst must be 1 to 60 seconds",
		         path);
		return AX_INVALID;
	}
	if (c->pace_per_min <= 0 || c->daily_cap <= 0 || c->poll_ms < 0 ||
	    c->flow.remind_after <= 0 || c->flow.expire_after <= 0) {
		snprintf(err, errlen,
		         "%s: [smsd]: pace_per_min, daily_cap, remind_after and "
		         "expire_after must be positive", path);
		return AX_INVALID;
	}
	return AX_OK;
}
