/*
 * modem.c -- the only file of the gateway that includes gammu.h.
 *
 * Text conversion goes only through DecodeUTF8 / EncodeUTF8 (UTF-8 <->
 * gammu's UCS-2 buffers), which do not look at the process locale:
 * EncodeUnicode / DecodeUnicodeConsole would turn Chinese into "??"
 * under LANG=C and are never used here.
 */
#include "modem.h"

#include <gammu.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct gw_modem {
	struct gw_modem_cfg cfg;
	GSM_StateMachine *s;
	int connected;
	/* written by the send-status callback */
	volatile int send_status, send_ref, send_done;
	/* multipart messages waiting for their missing parts.  More slots
	 * than one poll reads groups (max_multi parts), and the one evicted
	 * when full is the least recently seen: a message still on the modem
	 * is seen on every poll, so its wait runs out and it is handed over */
	struct pending_group {
		char key[96];
		long long first_seen;
		unsigned long seen; /* poll counter when last looked up */
	} pending[128];
	int npending;
	unsigned long polls;
	struct gw_modem_watch *watch; /* or NULL */
};

/* ---- helpers ----------------------------------------------------------- */

static void seterr(char *err, size_t n, const char *what, GSM_Error e)
{
	if (err && n)
		snprintf(err, n, "%s: %s", what, GSM_ErrorString(e));
}

static long long days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;
	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

/* GSM_DateTime (with its own zone) to epoch seconds; 0 if unset. */
static long long dt_epoch(const GSM_DateTime *t)
{
	if (t->Year == 0 || t->Month < 1 || t->Month > 12 || t->Day < 1)
		return 0;
	return days_from_civil(t->Year, (unsigned)t->Month, (unsigned)t->Day) *
	           86400LL +
	       t->Hour * 3600LL + t->Minute * 60LL + t->Second - t->Timezone;
}

static void ucs2_to_utf8(const unsigned char *ucs, char *out, size_t n)
{
	/* EncodeUTF8 writes at most 4 bytes per UCS-2 unit (pairs included) */
	size_t len = UnicodeLength(ucs);
	char *tmp;
	if (len * 4 + 1 <= n) {
		EncodeUTF8(out, ucs);
		return;
	}
	tmp = malloc(len * 4 + 1);
	if (!tmp) {
		out[0] = '\0';
		return;
	}
	EncodeUTF8(tmp, ucs);
	snprintf(out, n, "%s", tmp);
	free(tmp);
}

static void send_status_cb(GSM_StateMachine *s, int status, int ref, void *user)
{
	gw_modem *m = user;
	(void)s;
	m->send_status = status;
	m->send_ref = ref;
	m->send_done = 1;
}

/* Note in the watch what is about to go into libgammu. */
static void note(gw_modem *m, int phase, int location)
{
	if (!m->watch)
		return;
	atomic_store(&m->watch->location, location);
	atomic_store(&m->watch->phase, phase);
	atomic_fetch_add(&m->watch->beat, 1);
}

void gw_modem_set_watch(gw_modem *m, struct gw_modem_watch *w) { m->watch = w; }

/* ANXIN_SMSD_MODEM_FAULT=abort-read:NUMBER (modem.h): tests only. */
static void read_fault_hook(const GSM_SMSMessage *p)
{
	const char *f = getenv("ANXIN_SMSD_MODEM_FAULT"), *what;
	char number[64], want[64];
	if (!f || !(what = strstr(f, "abort-read:")))
		return;
	what += strlen("abort-read:");
	snprintf(want, sizeof want, "%.*s", (int)strcspn(what, ","), what);
	ucs2_to_utf8(p->Number, number, sizeof number);
	if (want[0] && strstr(number, want))
		abort();
}

/* ---- life cycle ---------------------------------------------------------- */

gw_modem *gw_modem_new(const struct gw_modem_cfg *cfg)
{
	gw_modem *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	m->cfg = *cfg;
	if (m->cfg.part_timeout <= 0)
		m->cfg.part_timeout = 600;
	if (m->cfg.send_timeout <= 0)
		m->cfg.send_timeout = 60;
	return m;
}

void gw_modem_disconnect(gw_modem *m)
{
	if (!m || !m->s)
		return;
	if (GSM_IsConnected(m->s))
		GSM_TerminateConnection(m->s);
	GSM_FreeStateMachine(m->s); /* frees the strdup'ed Device/Connection */
	m->s = NULL;
	m->connected = 0;
}

void gw_modem_free(gw_modem *m)
{
	if (!m)
		return;
	gw_modem_disconnect(m);
	free(m);
}

int gw_modem_connected(const gw_modem *m) { return m && m->connected; }

int gw_modem_connect(gw_modem *m, char *err, size_t errlen)
{
	GSM_Config *c;
	GSM_Error e;

	gw_modem_disconnect(m);
	m->s = GSM_AllocStateMachine();
	if (!m->s) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	c = GSM_GetConfig(m->s, 0);
	memset(c, 0, sizeof *c);
	c->Device = strdup(m->cfg.device);
	c->Connection = strdup(m->cfg.connection[0] ? m->cfg.connection : "at");
	if (!c->Device || !c->Connection) {
		snprintf(err, errlen, "out of memory");
		gw_modem_disconnect(m);
		return -1;
	}
	snprintf(c->Model, sizeof c->Model, "%s", m->cfg.model);
	c->SyncTime = FALSE;
	c->LockDevice = FALSE;
	c->StartInfo = FALSE;
	c->UseGlobalDebugFile = TRUE;
	snprintf(c->TextReminder, sizeof c->TextReminder, "Reminder");
	snprintf(c->TextMeeting, sizeof c->TextMeeting, "Meeting");
	snprintf(c->TextCall, sizeof c->TextCall, "Call");
	snprintf(c->TextBirthday, sizeof c->TextBirthday, "Birthday");
	snprintf(c->TextMemo, sizeof c->TextMemo, "Memo");
	GSM_SetConfigNum(m->s, 1);
	e = GSM_InitConnection(m->s, 1);
	if (e != ERR_NONE) {
		seterr(err, errlen, "connect", e);
		gw_modem_disconnect(m);
		return -1;
	}
	GSM_SetSendSMSStatusCallback(m->s, send_status_cb, m);
	m->connected = 1;
	return 0;
}

int gw_modem_signal(gw_modem *m)
{
	GSM_SignalQuality q;
	if (!m->connected || GSM_GetSignalQuality(m->s, &q) != ERR_NONE)
		return -1;
	return q.SignalPercent;
}

/* ---- receiving ----------------------------------------------------------- */

/* How long has this incomplete message been waiting (registers it). */
static long long waiting_since(gw_modem *m, const char *key, long long now)
{
	const int cap = (int)(sizeof m->pending / sizeof m->pending[0]);
	int i, at;
	for (i = 0; i < m->npending; i++)
		if (strcmp(m->pending[i].key, key) == 0) {
			m->pending[i].seen = m->polls;
			return m->pending[i].first_seen;
		}
	if (m->npending < cap) {
		at = m->npending++;
	} else { /* forget the least recently seen */
		for (at = 0, i = 1; i < cap; i++)
			if (m->pending[i].seen < m->pending[at].seen)
				at = i;
	}
	snprintf(m->pending[at].key, sizeof m->pending[0].key, "%s", key);
	m->pending[at].first_seen = now;
	m->pending[at].seen = m->polls;
	return now;
}

void gw_modem_set_waiting(gw_modem *m, const char *key, long long first_seen)
{
	long long now = waiting_since(m, key, first_seen);
	int i;
	(void)now;
	for (i = 0; i < m->npending; i++)
		if (strcmp(m->pending[i].key, key) == 0 &&
		    m->pending[i].first_seen > first_seen)
			m->pending[i].first_seen = first_seen;
}

int gw_modem_waiting(const gw_modem *m, int i, const char **key,
                     long long *first_seen)
{
	if (i < 0 || i >= m->npending)
		return 0;
	*key = m->pending[i].key;
	*first_seen = m->pending[i].first_seen;
	return 1;
}

static void forget_waiting(gw_modem *m, const char *key)
{
	int i;
	for (i = 0; i < m->npending; i++)
		if (strcmp(m->pending[i].key, key) == 0) {
			memmove(m->pending + i, m->pending + i + 1,
			        (size_t)(m->npending - i - 1) * sizeof m->pending[0]);
			m->npending--;
			return;
		}
}

/* ---- guards against libgammu 1.42 (found by fuzz.smsbackup) ----------- */

/* Cut a UCS-2 field to `units` code units (and always terminate it). */
static void cut(unsigned char *ucs, size_t size, size_t units)
{
	size_t at = units * 2 < size - 2 ? units * 2 : size - 2;
	ucs[at] = ucs[at + 1] = 0;
}

/*
 * The part number GSM_LinkSMS(..., ems = TRUE) links by: for a
 * user-defined UDH it scans the information elements itself and takes
 * the last concatenation element's index.  -2: that scan would read past
 * UDH.Text.
 */
static int link_part_number(const GSM_UDHHeader *u)
{
	int w = 1, part = u->PartNumber;

	if (u->Type != UDH_UserUDH)
		return part;
	if (u->Length > GSM_MAX_UDH_LENGTH)
		return -2;
	while (w < u->Length) {
		if (w + 5 >= GSM_MAX_UDH_LENGTH)
			return -2;
		if (u->Text[w] == 0x00)
			part = u->Text[w + 4];
		else if (u->Text[w] == 0x08)
			part = u->Text[w + 5];
		w += u->Text[w + 1] + 2;
	}
	return part;
}

/*
 * Make one part read from the modem safe to link and decode:
 *  - number fields cut to 40 units and terminated: a driver can leave
 *    them unterminated (the dummy driver's GSM_ReadSMSBackupFile does on
 *    an odd-length NumberUnicode), and GSM_LinkSMS copies senders through
 *    a static 500-byte buffer.  E.164 is 15 digits, an alphanumeric
 *    sender 11 characters;
 *  - a concatenation header saying "part 0" (or one libgammu would read
 *    past) is dropped: GSM_LinkSMS never returns on such a part, so one
 *    SMS from any phone would freeze the modem thread on every poll (the
 *    part is never deleted).  The part is passed on as a message of its
 *    own, so its text is still stored.
 * Returns 1 when the header was dropped.
 */
int gw__modem_guard_part(GSM_SMSMessage *m)
{
	int k, part;

	cut(m->Number, sizeof m->Number, 40);
	cut(m->SMSC.Number, sizeof m->SMSC.Number, 40);
	cut(m->SMSC.DefaultNumber, sizeof m->SMSC.DefaultNumber, 40);
	cut(m->SMSC.Name, sizeof m->SMSC.Name, 40);
	cut(m->Name, sizeof m->Name, 40);
	if (m->OtherNumbersNum < 0 || m->OtherNumbersNum > GSM_SMS_OTHER_NUMBERS)
		m->OtherNumbersNum = 0;
	for (k = 0; k < GSM_SMS_OTHER_NUMBERS; k++)
		cut(m->OtherNumbers[k], sizeof m->OtherNumbers[k], 40);
	cut(m->Text, sizeof m->Text, GSM_MAX_SMS_LENGTH);
	part = link_part_number(&m->UDH);
	if (m->UDH.Type == UDH_NoUDH || (part != 0 && part != -2))
		return 0;
	m->UDH.Type = UDH_NoUDH;
	m->UDH.Length = 0;
	m->UDH.PartNumber = m->UDH.AllParts = -1;
	m->UDH.ID8bit = m->UDH.ID16bit = -1;
	return 1;
}

static int same_sender(const GSM_MultiSMSMessage *a, const GSM_MultiSMSMessage *b)
{
	size_t la = UnicodeLength(a->SMS[0].Number);
	return la == UnicodeLength(b->SMS[0].Number) &&
	       memcmp(a->SMS[0].Number, b->SMS[0].Number, la * 2) == 0;
}

/*
 * GSM_LinkSMS, one sender at a time.  libgammu 1.42 compares senders with
 * strcmp(DecodeUnicodeString(a), DecodeUnicodeString(b)) -- one static
 * buffer, always equal -- so two residents whose multipart replies share
 * a reference number and part count would be joined under the first
 * one's number.  all: n messages (parts guarded); linked: room for n + 1.
 */
GSM_Error gw__modem_link(GSM_MultiSMSMessage **all, int n,
                         GSM_MultiSMSMessage **linked)
{
	GSM_MultiSMSMessage **in;
	unsigned char *done;
	GSM_Error e = ERR_NONE;
	int i, j, m, at = 0;

	linked[0] = NULL;
	in = calloc((size_t)n + 1, sizeof *in);
	done = calloc((size_t)n + 1, 1);
	if (!in || !done) {
		free(in);
		free(done);
		return ERR_MOREMEMORY;
	}
	for (i = 0; i < n && e == ERR_NONE; i++) {
		if (done[i])
			continue;
		for (m = 0, j = i; j < n; j++)
			if (!done[j] && same_sender(all[i], all[j])) {
				in[m++] = all[j];
				done[j] = 1;
			}
		in[m] = NULL;
		e = GSM_LinkSMS(NULL, in, linked + at, TRUE);
		while (linked[at])
			at++;
	}
	free(in);
	free(done);
	return e;
}

/* Text of a linked message: the multipart decoder for a complete one,
 * else the parts we have, in order.  Caller frees. */
char *gw__modem_group_text(GSM_MultiSMSMessage *g)
{
	GSM_MultiPartSMSInfo info;
	char *out;
	size_t cap = (size_t)g->Number * (GSM_MAX_SMS_LENGTH + 1) * 4 + 16, used = 0;
	int i;

	out = malloc(cap);
	if (!out)
		return NULL;
	out[0] = '\0';
	GSM_ClearMultiPartSMSInfo(&info);
	if (GSM_DecodeMultiPartSMS(NULL, &info, g, FALSE) && info.EntriesNum > 0 &&
	    info.Entries[0].Buffer) {
		for (i = 0; i < info.EntriesNum; i++) {
			if (!info.Entries[i].Buffer)
				continue;
			ucs2_to_utf8(info.Entries[i].Buffer, out + used, cap - used);
			used += strlen(out + used);
		}
		GSM_FreeMultiPartSMSInfo(&info);
		return out;
	}
	GSM_FreeMultiPartSMSInfo(&info);
	for (i = 0; i < g->Number; i++) {
		if (g->SMS[i].Coding == SMS_Coding_8bit)
			continue;
		ucs2_to_utf8(g->SMS[i].Text, out + used, cap - used);
		used += strlen(out + used);
	}
	return out;
}

/* Where a group's first part was read: groups are handed over in that
 * order, as the modem stored them. */
struct group_at {
	int idx, folder, location;
};

static int cmp_group_at(const void *a, const void *b)
{
	const struct group_at *x = a, *y = b;
	if (x->folder != y->folder)
		return x->folder < y->folder ? -1 : 1;
	if (x->location != y->location)
		return x->location < y->location ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* A status report read from the modem, kept until the batch commits. */
struct read_report {
	struct gw_status_report r;
	GSM_SMSMessage where; /* folder and location, for the delete */
};

/*
 * One gw_modem_poll, from the read to the deletes.  Everything read stays
 * here until the caller's commit: only then are the parts its callbacks
 * took deleted from the modem.
 */
struct poll_batch {
	/* A GSM_MultiSMSMessage is 260 KB (50 parts): one on the heap for
	 * reading, one for decoding a single-part message, and a copy only of
	 * the parts of multipart messages, for GSM_LinkSMS.  (Handing every
	 * message to GSM_LinkSMS cost two 260 KB copies each, and it rescans
	 * its input from the start after each message it outputs.) */
	GSM_MultiSMSMessage *sms, *one;
	GSM_MultiSMSMessage **all; /* parts of multipart messages, n of them */
	int n, cap;
	GSM_SMSMessage *singles; /* one-part messages: no linking */
	int nsingle, capsingle;
	struct read_report *reps;
	int nrep, caprep;
	/* handing over: groups are the singles, then what GSM_LinkSMS made
	 * of `all`; order: the groups as the modem stored them */
	GSM_MultiSMSMessage **linked;
	struct group_at *order;
	int ngroups, nlinked; /* nlinked: groups looked at, in order */
	unsigned char *take;     /* group i accepted by in_fn */
	unsigned char *take_rep; /* report i accepted by rep_fn */
	int called;              /* a callback was called: commit */
	int handed;              /* messages deleted after the commit */
};

static void batch_free(struct poll_batch *b)
{
	int i;
	if (b->linked) {
		/* GSM_LinkSMS allocates the groups it returns */
		for (i = 0; b->linked[i]; i++)
			free(b->linked[i]);
		free(b->linked);
	}
	for (i = 0; i < b->n; i++)
		free(b->all[i]);
	free(b->all);
	free(b->take);
	free(b->take_rep);
	free(b->reps);
	free(b->singles);
	free(b->order);
	free(b->sms);
	free(b->one);
}

/* Keep the message just read in b->sms (parts guarded): as a report, a
 * single-part message or the parts of a multipart one.  -1: no memory. */
static int keep_read(struct poll_batch *b)
{
	GSM_MultiSMSMessage *sms = b->sms;

	if (sms->SMS[0].PDU == SMS_Status_Report) {
		struct read_report *rr;
		if (b->nrep == b->caprep) {
			int nc = b->caprep ? b->caprep * 2 : 16;
			struct read_report *na = realloc(b->reps, (size_t)nc * sizeof *na);
			if (!na)
				return -1;
			b->reps = na;
			b->caprep = nc;
		}
		rr = &b->reps[b->nrep++];
		memset(&rr->r, 0, sizeof rr->r);
		ucs2_to_utf8(sms->SMS[0].Number, rr->r.phone, sizeof rr->r.phone);
		rr->r.ref = sms->SMS[0].MessageReference;
		rr->r.status = sms->SMS[0].DeliveryStatus;
		rr->r.at = dt_epoch(&sms->SMS[0].DateTime);
		if (!rr->r.at)
			rr->r.at = dt_epoch(&sms->SMS[0].SMSCTime);
		rr->where = sms->SMS[0];
	} else if (sms->Number == 1 && sms->SMS[0].UDH.Type == UDH_NoUDH &&
	           sms->SMS[0].Coding != SMS_Coding_8bit) {
		/* what GSM_LinkSMS would copy through unchanged (no UDH,
		 * not 8-bit, so not a Siemens OTA part either) */
		if (b->nsingle == b->capsingle) {
			int nc = b->capsingle ? b->capsingle * 2 : 16;
			GSM_SMSMessage *na = realloc(b->singles, (size_t)nc * sizeof *na);
			if (!na)
				return -1;
			b->singles = na;
			b->capsingle = nc;
		}
		b->singles[b->nsingle++] = sms->SMS[0];
	} else {
		if (b->n + 1 >= b->cap) {
			int nc = b->cap ? b->cap * 2 : 16;
			GSM_MultiSMSMessage **na = realloc(b->all, (size_t)nc * sizeof *na);
			if (!na)
				return -1;
			b->all = na;
			b->cap = nc;
		}
		b->all[b->n] = malloc(sizeof *sms);
		if (!b->all[b->n])
			return -1;
		memcpy(b->all[b->n], sms, sizeof *sms);
		b->all[++b->n] = NULL;
	}
	return 0;
}

/* 1. read: every inbox part and status report, max_read at most. */
static int read_inbox(gw_modem *m, struct poll_batch *b, char *err,
                      size_t errlen)
{
	GSM_MultiSMSMessage *sms = b->sms;
	GSM_Error e;
	int k, start = 1;
	/* per poll, bounding the memory of one read: single parts and reports
	 * take 5 KB each, a part of a multipart message 260 KB until linked.
	 * Large enough that a busy inbox is read in few passes: each read of
	 * libgammu's dummy driver costs 5 x 10000 file probes, however few
	 * messages it finds. */
	const int max_read = 2000, max_multi = 100;

	for (;;) {
		/* the driver continues from sms->SMS[0].Folder/Location: keep
		 * them; parts past sms->Number are never looked at */
		int folder = sms->SMS[0].Folder, location = sms->SMS[0].Location;
		memset(&sms->SMS[0], 0, sizeof sms->SMS[0]);
		sms->Number = 0;
		sms->SMS[0].Folder = folder;
		sms->SMS[0].Location = location;
		note(m, GW_WATCH_NEXT, start ? 0 : location);
		e = GSM_GetNextSMS(m->s, sms, start ? TRUE : FALSE);
		start = 0;
		if (e == ERR_EMPTY)
			break;
		if (e != ERR_NONE) {
			seterr(err, errlen, "read", e);
			return -1;
		}
		if (!sms->SMS[0].InboxFolder || sms->Number < 1)
			continue;
		for (k = 0; k < sms->Number && k < GSM_MAX_MULTI_SMS; k++)
			gw__modem_guard_part(&sms->SMS[k]);
		if (m->watch)
			read_fault_hook(&sms->SMS[0]);
		if (keep_read(b)) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		if (b->n + b->nsingle + b->nrep >= max_read || b->n >= max_multi)
			break;
	}
	return 0;
}

/* 2a. the reports to rep_fn.  -1: no memory. */
static int hand_reports(struct poll_batch *b, gw_report_fn rep_fn, void *ctx)
{
	int i;
	b->take_rep = calloc((size_t)b->nrep + 1, 1);
	if (!b->take_rep)
		return -1;
	for (i = 0; i < b->nrep && rep_fn; i++) {
		b->called = 1;
		b->take_rep[i] = rep_fn(ctx, &b->reps[i].r) == 0;
	}
	return 0;
}

/* 2b. groups: the single-part messages first, in the order read, then
 * what GSM_LinkSMS made of the other parts; b->order sorted by where each
 * group's first part was read. */
static int group_messages(struct poll_batch *b, char *err, size_t errlen)
{
	GSM_Error e;
	int i;

	b->linked = calloc((size_t)b->n + 1, sizeof *b->linked);
	b->take = calloc((size_t)(b->nsingle + b->n) + 1, 1);
	if (!b->linked || !b->take) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (b->n > 0) {
		e = gw__modem_link(b->all, b->n, b->linked);
		if (e != ERR_NONE) {
			seterr(err, errlen, "link", e);
			return -1;
		}
	}
	for (b->ngroups = b->nsingle; b->linked[b->ngroups - b->nsingle];
	     b->ngroups++)
		;
	b->order = calloc((size_t)b->ngroups + 1, sizeof *b->order);
	if (!b->order) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < b->ngroups; i++) {
		const GSM_SMSMessage *first =
		    i < b->nsingle ? &b->singles[i] : &b->linked[i - b->nsingle]->SMS[0];
		b->order[i].idx = i;
		b->order[i].folder = first->Folder;
		b->order[i].location = first->Location;
	}
	qsort(b->order, (size_t)b->ngroups, sizeof *b->order, cmp_group_at);
	return 0;
}

/* Sender, time stamp and concatenation of group g into *in (no text);
 * *total: the parts announced. */
static void describe_group(GSM_MultiSMSMessage *g, struct gw_incoming *in,
                           int *total)
{
	GSM_SMSMessage *p = &g->SMS[0];
	int concat = -1;

	*total = 1;
	memset(in, 0, sizeof *in);
	if (p->UDH.Type == UDH_ConcatenatedMessages ||
	    p->UDH.Type == UDH_ConcatenatedMessages16bit) {
		concat = p->UDH.Type == UDH_ConcatenatedMessages ? p->UDH.ID8bit
		                                                  : p->UDH.ID16bit;
		*total = p->UDH.AllParts > 0 ? p->UDH.AllParts : g->Number;
	}
	ucs2_to_utf8(p->Number, in->phone, sizeof in->phone);
	in->smsc_time = dt_epoch(&p->DateTime);
	if (!in->smsc_time)
		in->smsc_time = dt_epoch(&p->SMSCTime);
	in->concat_ref = concat;
	in->parts = g->Number;
	in->total = *total < g->Number ? g->Number : *total;
}

/* 2c. the complete messages (and those whose missing parts waited
 * part_timeout) to in_fn, in the order the modem stored them.  -1: no
 * memory (err filled). */
static int hand_messages(gw_modem *m, struct poll_batch *b,
                         gw_incoming_fn in_fn, void *ctx, long long now,
                         char *err, size_t errlen)
{
	int k;

	for (k = 0; k < b->ngroups; k++, b->nlinked++) {
		GSM_MultiSMSMessage *g;
		struct gw_incoming in;
		char key[96];
		char *text;
		int total, i = b->order[k].idx;

		if (i < b->nsingle) {
			b->one->Number = 1;
			b->one->SMS[0] = b->singles[i];
			g = b->one;
		} else {
			g = b->linked[i - b->nsingle];
		}
		describe_group(g, &in, &total);
		snprintf(key, sizeof key, "%s/%d/%lld", in.phone, in.concat_ref,
		         in.smsc_time);
		if (g->Number < total) {
			/* parts still on their way: wait, up to part_timeout */
			if (now - waiting_since(m, key, now) < m->cfg.part_timeout)
				continue;
		}
		forget_waiting(m, key);
		note(m, GW_WATCH_DECODE, g->SMS[0].Location);
		text = gw__modem_group_text(g);
		if (!text) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		in.text = text;
		b->called = 1;
		b->take[i] = in_fn(ctx, &in) == 0;
		free(text);
	}
	return 0;
}

/* 3b. after the commit: delete what the callbacks took.  rc: the poll's
 * result so far (the first error is the one reported); returns it, -1
 * once a delete failed. */
static int delete_taken(gw_modem *m, struct poll_batch *b, int rc, char *err,
                        size_t errlen)
{
	GSM_Error e;
	int i, k;

	for (i = 0; i < b->nrep; i++)
		if (b->take_rep[i]) {
			e = GSM_DeleteSMS(m->s, &b->reps[i].where);
			if (e != ERR_NONE && e != ERR_EMPTY && !rc) {
				seterr(err, errlen, "delete", e);
				rc = -1;
			}
		}
	for (k = 0; k < b->nlinked; k++) {
		GSM_SMSMessage *parts;
		int nparts, j;
		i = b->order[k].idx;
		if (!b->take[i])
			continue;
		parts = i < b->nsingle ? &b->singles[i] : b->linked[i - b->nsingle]->SMS;
		nparts = i < b->nsingle ? 1 : b->linked[i - b->nsingle]->Number;
		b->handed++;
		for (j = 0; j < nparts; j++) {
			e = GSM_DeleteSMS(m->s, &parts[j]);
			if (e != ERR_NONE && e != ERR_EMPTY && !rc) {
				seterr(err, errlen, "delete", e);
				rc = -1;
			}
		}
	}
	return rc;
}

int gw_modem_poll(gw_modem *m, gw_incoming_fn in_fn, gw_report_fn rep_fn,
                  gw_commit_fn commit_fn, void *ctx, long long now, int *nread,
                  char *err, size_t errlen)
{
	struct poll_batch b;
	int rc = 0;

	memset(&b, 0, sizeof b);
	if (nread)
		*nread = 0;
	m->polls++;
	if (!m->connected) {
		snprintf(err, errlen, "not connected");
		return -1;
	}
	b.sms = calloc(1, sizeof *b.sms);
	b.one = calloc(1, sizeof *b.one);
	if (!b.sms || !b.one) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
		goto done;
	}
	if (read_inbox(m, &b, err, errlen)) {
		rc = -1;
		goto done;
	}
	/* 2. hand over: reports, then linked messages, to the callbacks,
	 * which write them in one transaction (nothing is deleted yet) */
	if (hand_reports(&b, rep_fn, ctx)) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
		goto done;
	}
	if (group_messages(&b, err, errlen) ||
	    hand_messages(m, &b, in_fn, ctx, now, err, errlen))
		rc = -1;
	/* decoding is over: a crash from here on (commit, deletes) is not
	 * the last message's fault */
	note(m, GW_WATCH_IDLE, 0);
	/* 3. one commit for the whole read (an fsync per message would cost
	 * more than the read), and only after it the deletes: a crash before
	 * the commit leaves everything on the modem, one after it leaves
	 * committed messages there, which the dedup key makes harmless */
	if (b.called && commit_fn && commit_fn(ctx) != 0) {
		if (!rc)
			snprintf(err, errlen, "commit of the messages read failed");
		rc = -1;
	} else if (b.called) {
		rc = delete_taken(m, &b, rc, err, errlen);
	}
done:
	note(m, GW_WATCH_IDLE, 0);
	if (nread)
		*nread = b.handed;
	batch_free(&b);
	return rc;
}

int gw_modem_probe(gw_modem *m, int after, int *found, char *err,
                   size_t errlen)
{
	GSM_MultiSMSMessage *sms;
	GSM_Error e = ERR_NONE;
	int loc;

	*found = 0;
	if (!m->connected) {
		snprintf(err, errlen, "not connected");
		return -1;
	}
	if (!(sms = calloc(1, sizeof *sms))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (loc = after + 1; loc <= GW_MODEM_PROBE_MAX; loc++) {
		memset(&sms->SMS[0], 0, sizeof sms->SMS[0]);
		sms->Number = 0;
		sms->SMS[0].Folder = 0; /* a flat location */
		sms->SMS[0].Location = loc;
		note(m, GW_WATCH_PROBE, loc);
		e = GSM_GetSMS(m->s, sms);
		if (e == ERR_EMPTY)
			continue;
		if (e == ERR_NONE) {
			*found = loc;
			if (m->watch)
				atomic_store(&m->watch->found, loc);
		}
		break;
	}
	note(m, GW_WATCH_IDLE, 0);
	free(sms);
	if (e != ERR_NONE && e != ERR_EMPTY && e != ERR_INVALIDLOCATION) {
		seterr(err, errlen, "probe", e);
		return -1;
	}
	return 0;
}

int gw_modem_delete_at(gw_modem *m, int location, char *err, size_t errlen)
{
	GSM_SMSMessage sm;
	GSM_Error e;

	if (!m->connected) {
		snprintf(err, errlen, "not connected");
		return -1;
	}
	memset(&sm, 0, sizeof sm);
	sm.Folder = 0;
	sm.Location = location;
	e = GSM_DeleteSMS(m->s, &sm);
	if (e != ERR_NONE && e != ERR_EMPTY) {
		seterr(err, errlen, "delete", e);
		return -1;
	}
	return 0;
}

/* ---- sending ------------------------------------------------------------- */

/*
 * The parts libgammu sends for text to phone: concatenated UCS-2/GSM-7 as
 * GSM_EncodeMultiPartSMS splits it, each part asking the network for a
 * delivery report.  libgammu sets TP-SRR (status report request, 0x20 of
 * the first octet) only for PDU = SMS_Status_Report, which is what
 * gammu-smsd sends with when delivery reports are on; with SMS_Submit no
 * report ever comes on a real network (the dummy driver hid it: tests
 * injected reports by hand).  ucs must hold 4 * strlen(text) + 4 bytes.
 */
static int encode_parts(const char *phone, const char *text, unsigned char *ucs,
                        GSM_MultiSMSMessage *sms, char *err, size_t errlen)
{
	GSM_MultiPartSMSInfo info;
	GSM_Error e;

	DecodeUTF8(ucs, text, strlen(text));
	GSM_ClearMultiPartSMSInfo(&info);
	info.Class = -1;
	info.EntriesNum = 1;
	info.Entries[0].ID = SMS_ConcatenatedAutoTextLong;
	info.Entries[0].Buffer = ucs;
	e = GSM_EncodeMultiPartSMS(NULL, &info, sms);
	if (e != ERR_NONE) {
		seterr(err, errlen, "encode", e);
		return -1;
	}
	for (int i = 0; i < sms->Number; i++) {
		GSM_SMSMessage *p = &sms->SMS[i];
		p->SMSC.Location = 1;
		p->PDU = SMS_Status_Report; /* an SMS-SUBMIT with TP-SRR set */
		DecodeUTF8(p->Number, phone, strlen(phone));
	}
	return 0;
}

int gw_modem_submit_octets(const char *phone, const char *text,
                           unsigned char *first, int max)
{
	size_t len = strlen(text);
	unsigned char *ucs = calloc(len + 1, 4);
	GSM_MultiSMSMessage *sms = calloc(1, sizeof *sms);
	char err[128];
	int n = -1;

	if (ucs && sms && encode_parts(phone, text, ucs, sms, err, sizeof err) == 0) {
		n = sms->Number;
		for (int i = 0; i < n && i < max; i++) {
			unsigned char buf[GSM_MAX_SMS_LENGTH * 2 + 64];
			int blen = 0;
			memset(buf, 0, sizeof buf);
			if (GSM_EncodeSMSFrame(NULL, &sms->SMS[i], buf, PHONE_SMSSubmit,
			                       &blen, TRUE) != ERR_NONE) {
				n = -1;
				break;
			}
			first[i] = buf[PHONE_SMSSubmit.firstbyte];
		}
	}
	free(ucs);
	free(sms);
	return n;
}

int gw_modem_send(gw_modem *m, const char *phone, const char *text, int *ref,
                  int *parts, int *sent_parts, char *err, size_t errlen)
{
	GSM_MultiSMSMessage *sms = NULL;
	unsigned char *ucs = NULL;
	size_t len = strlen(text);
	GSM_Error e;
	int i, rc = -1;

	*ref = -1;
	*parts = 0;
	*sent_parts = 0;
	if (!m->connected) {
		snprintf(err, errlen, "not connected");
		return -1;
	}
	ucs = calloc(len + 1, 4);
	sms = calloc(1, sizeof *sms);
	if (!ucs || !sms) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	if (encode_parts(phone, text, ucs, sms, err, errlen))
		goto done;
	*parts = sms->Number;
	for (i = 0; i < sms->Number; i++) {
		GSM_SMSMessage *p = &sms->SMS[i];
		time_t t0;
		m->send_done = 0;
		m->send_status = -1;
		m->send_ref = -1;
		note(m, GW_WATCH_SEND, i + 1);
		e = GSM_SendSMS(m->s, p);
		if (e != ERR_NONE) {
			seterr(err, errlen, "send", e);
			goto done;
		}
		t0 = time(NULL);
		while (!m->send_done && time(NULL) - t0 < m->cfg.send_timeout)
			GSM_ReadDevice(m->s, TRUE);
		if (!m->send_done) {
			snprintf(err, errlen, "send: no status from the network after %ds",
			         m->cfg.send_timeout);
			goto done;
		}
		if (m->send_status != 0) {
			snprintf(err, errlen, "send: network status %d", m->send_status);
			goto done;
		}
		(*sent_parts)++;
		*ref = m->send_ref;
	}
	rc = 0;
done:
	note(m, GW_WATCH_IDLE, 0);
	free(ucs);
	free(sms);
	return rc;
}
