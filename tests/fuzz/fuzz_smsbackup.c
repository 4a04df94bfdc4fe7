/*
 * fuzz_smsbackup -- incoming SMS as libgammu hands them to the gateway
 * (issue 6: "smsbackup/linking input").
 *
 * Every reply a resident sends reaches anxin-smsd through libgammu: the
 * dummy driver reads one smsbackup INI file per message part from
 * <dir>/sms/1/ with GSM_ReadSMSBackupFile; a real modem's AT driver
 * decodes each +CMGL line with GSM_DecodePDUFrame.  gw_modem_poll then
 * links the parts with GSM_LinkSMS, decodes each linked message to UTF-8
 * (gw__modem_group_text, the function modem.c itself uses) and the
 * gateway builds its dedup key.  This target drives that path with
 * hostile bytes.  The low bit of the first byte picks the source:
 *
 *   0  smsbackup: the rest is cut at form feeds ('\f') into up to 16
 *      inbox files.  Each is written to a temporary file, read with
 *      GSM_ReadSMSBackupFile and turned into one GSM_MultiSMSMessage the
 *      way the dummy driver's DUMMY_GetSMS does (every [SMSBackupNNN]
 *      section one part; folder 1, an inbox).
 *   1  PDUs: the rest is a list of records <flags> <length> <bytes...>;
 *      each is decoded by GSM_DecodePDUFrame (flags bit 0: the PDU starts
 *      with the SMSC address, as AT+CMGL gives it) into a one-part message.
 *
 * Beyond "no crash, no leak, no UB", linking must neither lose nor
 * duplicate a part: every part read is in exactly one linked message, so
 * gw_modem_poll deletes from the modem exactly what it committed.
 *
 * libgammu 1.42 bugs this target found (each input is in
 * corpus/smsbackup/; gw_modem_poll guards against hang-part-zero,
 * crash-unterminated-number and two-senders-same-ref with modem.c's
 * gw__modem_guard_part and gw__modem_link, which this target calls; the
 * others happen inside libgammu's drivers, before our code sees a part):
 *   - hang-part-zero, hang-pdu-user-udh: GSM_LinkSMS never returns when
 *     a part's concatenation header says "part 0".  One such SMS from
 *     any phone freezes a modem thread for good.  gw__modem_guard_part().
 *   - crash-short-number, crash-short-smsc, crash-nul-in-smsc:
 *     GSM_ReadSMSBackupFile smashes the stack on an unquoted one-letter
 *     Number/SMSC/Name value.  backup_safe().
 *   - crash-unterminated-number: GSM_ReadSMSBackupFile leaves an
 *     odd-length NumberUnicode unterminated over uninitialised heap;
 *     GSM_LinkSMS then copies it into a static 500-byte buffer.
 *     gw__modem_guard_part().
 *   - crash-pdu-long-address, crash-pdu-overread: GSM_DecodePDUFrame
 *     trusts the PDU's lengths (stack overflow, over-read).  pdu_safe();
 *     not guardable in anxin-smsd, where the AT driver decodes PDUs:
 *     there the crash costs the modem's process only (modem_proc.c) and
 *     the message is quarantined.  docs/gammu-upstream.md reports these.
 *   - dummy-51-sections: DUMMY_GetSMS copies every section of a file
 *     into the caller's GSM_MultiSMSMessage without checking
 *     GSM_MAX_MULTI_SMS (50).  Only the dummy driver does this; we copy
 *     at most 50, as a driver that checks would.
 *   - two-senders-same-ref (not a crash; checked: one sender per linked
 *     message; gw__modem_link links one sender at a time): GSM_LinkSMS
 *     compares senders with strcmp(DecodeUnicodeString(a),
 *     DecodeUnicodeString(b)), one static buffer, always equal: parts
 *     of two residents with the same 8-bit reference and part count are
 *     joined into one message under the first one's number.
 * libgammu is not built with coverage instrumentation: the fuzzer is
 * guided by our code's edges and the seed corpus only.
 *
 * Status reports take gw_modem_poll's other branch (number, reference,
 * time) and are left out of linking, as there.  The part timeout
 * (waiting_since) is a plain comparison on the caller's clock: every
 * linked message is decoded here, complete or not, which is what poll
 * does once the timeout has passed.
 */
#include <gammu.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "anxin/phone.h"
#include "modem.h"

#define MAX_FILES 16
#define MAX_PDUS 32

static GSM_SMS_Backup *bk; /* 800 KB of pointers: allocated once */
static char path[64];
static int overflows; /* dummy-driver sections past GSM_MAX_MULTI_SMS */
static int guarded;   /* parts gw__modem_guard_part() kept from linking */
static int verbose;   /* FUZZ_SMSBACKUP_VERBOSE=1: print what was decoded */

static void cleanup(void)
{
	if (path[0])
		unlink(path);
	free(bk);
}

static void setup(void)
{
	int fd;
	snprintf(path, sizeof path, "/tmp/fuzz_smsbackup.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		abort();
	close(fd);
	bk = malloc(sizeof *bk);
	if (!bk || sodium_init() < 0)
		abort();
	verbose = getenv("FUZZ_SMSBACKUP_VERBOSE") != NULL;
	atexit(cleanup);
}

/* UTF-8 of a gammu UCS-2 string (number fields, bounded by guard()). */
static void utf8_of(const unsigned char *ucs, char *out, size_t n)
{
	char tmp[(GSM_MAX_NUMBER_LENGTH + 1) * 4 + 8];
	if (UnicodeLength(ucs) > GSM_MAX_NUMBER_LENGTH)
		abort();
	EncodeUTF8(tmp, ucs);
	snprintf(out, n, "%s", tmp);
}

/* The guards are gw_modem_poll's own (modem.c): gw__modem_guard_part on
 * every part read, gw__modem_link instead of a bare GSM_LinkSMS. */
static void guard(GSM_SMSMessage *m)
{
	if (gw__modem_guard_part(m))
		guarded++;
}

/*
 * The first guard, before GSM_ReadSMSBackupFile (reported): a text
 * field (SMSC, Number, Name) whose value is not in the quoted form,
 * e.g. "Number = 0" or "SMSC = d", with no <field>Unicode line, makes
 * libgammu 1.42 call EncodeUnicode with length strlen(value + 1) - 1: a
 * one-character value gives SIZE_MAX and it writes until the stack ends
 * (corpus/smsbackup/crash-short-number, crash-short-smsc).  gammu and
 * our tools always write the quoted form; any other is refused, as a
 * file that does not parse.  So is a NUL byte anywhere: libgammu's INI
 * reader ends the value there ('SMSC = "<NUL>"' is the one-character
 * value '"', corpus/smsbackup/crash-nul-in-smsc), and the only files
 * with NULs, UTF-16 backups, are never written by gammu's dummy driver
 * or by us.
 */
static int backup_safe(const uint8_t *data, size_t size)
{
	static const char *const text_keys[] = {"smsc", "number", "name"};
	size_t i = 0, k;

	if (memchr(data, '\0', size))
		return 0;
	while (i < size) {
		size_t end = i, a = i, b;
		const uint8_t *eq;
		while (end < size && data[end] != '\n')
			end++;
		eq = memchr(data + i, '=', end - i);
		if (eq) {
			b = (size_t)(eq - data);
			while (a < b && (data[a] == ' ' || data[a] == '\t'))
				a++;
			while (b > a && (data[b - 1] == ' ' || data[b - 1] == '\t'))
				b--;
			for (k = 0; k < sizeof text_keys / sizeof *text_keys; k++) {
				size_t n = strlen(text_keys[k]);
				if (b - a == n &&
				    strncasecmp((const char *)data + a, text_keys[k], n) == 0)
					break;
			}
			if (k < sizeof text_keys / sizeof *text_keys) {
				a = (size_t)(eq - data) + 1;
				b = end;
				while (a < b && (data[a] == ' ' || data[a] == '\t'))
					a++;
				while (b > a && (data[b - 1] == ' ' || data[b - 1] == '\t' ||
				                 data[b - 1] == '\r'))
					b--;
				/* empty is read as absent */
				if (b > a && (b - a < 2 || data[a] != '"' || data[b - 1] != '"'))
					return 0;
			}
		}
		i = end + 1;
	}
	return 1;
}

/* Octets of a TP address with `digits` semi-octets; -1 if too long. */
static int addr_octets(int digits)
{
	return digits > 20 ? -1 : 1 + (digits + 1) / 2; /* type + value */
}

/*
 * PDU lengths checked before GSM_DecodePDUFrame (reported): libgammu
 * 1.42 trusts them.  An address longer than 20 digits overflows a stack
 * buffer in GSM_UnpackSemiOctetNumber (corpus/smsbackup/crash-pdu-long-
 * address), and a user-data length beyond the PDU is read past its end
 * (final_pos > length, crash-pdu-overread).  In anxin-smsd the AT driver
 * decodes the modem's PDUs inside GSM_GetNextSMS, before any of our
 * code runs, so this cannot be guarded there: the check only lets the
 * fuzzer go on past libgammu to the linking and decoding behind it.
 */
static int pdu_safe(const uint8_t *p, size_t len, int smsc)
{
	size_t at = 0, need;
	int fo, a, ud;
	GSM_Coding_Type c;

	if (smsc) {
		if (len < 1 || p[0] > 11)
			return 0;
		at = 1 + (size_t)p[0];
	}
	if (at + 2 > len)
		return 0;
	fo = p[at];
	switch (fo & 3) {
	case 0: /* deliver: fo, OA, PID, DCS, SCTS(7), UDL */
		if ((a = addr_octets(p[at + 1])) < 0)
			return 0;
		need = at + 2 + (size_t)a + 1;
		if (need + 1 > len)
			return 0;
		c = GSM_GetMessageCoding(NULL, (char)p[need]);
		need += 1 + 7;
		break;
	case 1: /* submit: fo, MR, DA, PID, DCS, VP, UDL */
		if (at + 3 > len || (a = addr_octets(p[at + 2])) < 0)
			return 0;
		need = at + 3 + (size_t)a + 1;
		if (need + 1 > len)
			return 0;
		c = GSM_GetMessageCoding(NULL, (char)p[need]);
		need += 1 + ((fo >> 3 & 3) == 2 ? 1 : (fo >> 3 & 3) ? 7 : 0);
		break;
	case 2: /* status report: fo, MR, RA, SCTS(7), DT(7), ST, and only
	         * an empty parameter indicator after it (libgammu reads the
	         * optional parameters past the end) */
		if (at + 3 > len || (a = addr_octets(p[at + 2])) < 0)
			return 0;
		need = at + 3 + (size_t)a + 15;
		return len == need || (len == need + 1 && p[need] == 0);
	default:
		return 0;
	}
	if (need + 1 > len)
		return 0;
	ud = p[need];
	if (c == SMS_Coding_Default_No_Compression)
		ud = ud > 160 ? -1 : (ud * 7 + 7) / 8;
	else if (ud > 140)
		ud = -1;
	if (ud < 0 || need + 1 + (size_t)ud > len)
		return 0;
	/* a user data header (UDHI) must fit in the user data */
	return !(fo & 0x40) || (ud >= 1 && p[need + 1] + 1 <= ud);
}

/* One smsbackup file -> one inbox message, as DUMMY_GetSMS builds it.
 * Returns 0 when the file did not parse. */
static int read_backup(const uint8_t *data, size_t size, int loc,
                       GSM_MultiSMSMessage *out)
{
	FILE *f;
	GSM_Error e;
	int i;

	if (!backup_safe(data, size))
		return 0;
	f = fopen(path, "wb");
	if (!f)
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	GSM_ClearSMSBackup(bk);
	e = GSM_ReadSMSBackupFile(path, bk);
	memset(out, 0, sizeof *out);
	if (e == ERR_NONE) {
		for (i = 0; bk->SMS[i]; i++) {
			if (i == GSM_MAX_MULTI_SMS) {
				overflows++;
				break;
			}
			out->SMS[i] = *bk->SMS[i];
			out->SMS[i].Folder = 1;
			out->SMS[i].Location = 10000 + loc;
			out->SMS[i].InboxFolder = TRUE;
			out->SMS[i].Memory = MEM_SM;
			guard(&out->SMS[i]);
			out->Number++;
		}
	}
	GSM_FreeSMSBackup(bk);
	return e == ERR_NONE;
}

/* gw_modem_poll's status-report branch, minus the modem. */
static void status_report(const GSM_SMSMessage *p)
{
	char phone[64];
	utf8_of(p->Number, phone, sizeof phone);
	if (verbose)
		fprintf(stderr, "status report: %s ref %d status %d\n", phone,
		        p->MessageReference, p->DeliveryStatus);
}

/* gw_modem_poll after reading: link, decode, key; then free. */
static void link_and_decode(GSM_MultiSMSMessage **all, int n)
{
	GSM_MultiSMSMessage **in, **linked;
	int i, k, m = 0, parts_in = 0, parts_out = 0, multi_in = 0;

	in = calloc((size_t)n + 1, sizeof *in);
	linked = calloc((size_t)n + 1, sizeof *linked);
	if (!in || !linked)
		abort();
	for (i = 0; i < n; i++) {
		if (!all[i]->SMS[0].InboxFolder || all[i]->Number < 1)
			continue;
		/* gw_modem_poll guards every part it reads, whatever the driver */
		for (k = 0; k < all[i]->Number; k++)
			guard(&all[i]->SMS[k]);
		if (all[i]->SMS[0].PDU == SMS_Status_Report) {
			status_report(&all[i]->SMS[0]);
			continue;
		}
		in[m++] = all[i];
		parts_in += all[i]->Number;
		multi_in |= all[i]->Number > 1;
	}
	if (m == 0 || gw__modem_link(in, m, linked) != ERR_NONE)
		goto done;
	for (i = 0; linked[i]; i++) {
		GSM_MultiSMSMessage *g = linked[i];
		GSM_SMSMessage *p = &g->SMS[0];
		unsigned char hash[16];
		char phone[64], e164[AX_PHONE_MAX], dedup[256], hex[33];
		char *text;
		int concat = -1, total = 1;

		if (g->Number < 1 || g->Number > GSM_MAX_MULTI_SMS)
			abort();
		parts_out += g->Number;
		/* one sender per linked message (GSM_LinkSMS alone joins parts
		 * of different senders that share a reference) -- when every
		 * message read was one part, as from a modem; a dummy-driver
		 * file of several sections is one message whatever its senders */
		for (k = 1; k < g->Number && !multi_in; k++)
			if (UnicodeLength(g->SMS[k].Number) != UnicodeLength(p->Number) ||
			    memcmp(g->SMS[k].Number, p->Number,
			           2 * UnicodeLength(p->Number)) != 0)
				abort();
		if (p->UDH.Type == UDH_ConcatenatedMessages ||
		    p->UDH.Type == UDH_ConcatenatedMessages16bit) {
			concat = p->UDH.Type == UDH_ConcatenatedMessages ? p->UDH.ID8bit
			                                                  : p->UDH.ID16bit;
			total = p->UDH.AllParts > 0 ? p->UDH.AllParts : g->Number;
		}
		utf8_of(p->Number, phone, sizeof phone);
		if (total < g->Number)
			total = g->Number; /* in.total, as poll reports it */
		text = gw__modem_group_text(g);
		if (!text)
			abort();
		/* gw_inbox.c gw__on_incoming: normalised sender, SMSC time, reference
		 * and a hash of the text */
		if (ax_phone_normalize(phone, e164, NULL) != AX_OK)
			snprintf(e164, sizeof e164, "%s", phone);
		crypto_generichash(hash, sizeof hash, (const unsigned char *)text,
		                   strlen(text), NULL, 0);
		sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
		snprintf(dedup, sizeof dedup, "%s|%04d%02d%02d%02d%02d%02d%+d|%d/%d|%s",
		         e164, p->DateTime.Year, p->DateTime.Month, p->DateTime.Day,
		         p->DateTime.Hour, p->DateTime.Minute, p->DateTime.Second,
		         p->DateTime.Timezone, concat, total, hex);
		if (verbose)
			fprintf(stderr, "message %d: %d/%d parts, key %s\n  text \"%s\"\n",
			        i, g->Number, total, dedup, text);
		free(text);
	}
	/* linking keeps every part exactly once */
	if (verbose)
		fprintf(stderr, "%d parts in, %d linked messages, %d parts out%s%s\n",
		        parts_in, i, parts_out,
		        overflows ? " (dummy-driver overflow avoided)" : "",
		        guarded ? " (kept a part from linking)" : "");
	if (parts_out != parts_in)
		abort();
done:
	for (i = 0; linked[i]; i++)
		free(linked[i]);
	free(linked);
	free(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	GSM_MultiSMSMessage *msgs[MAX_PDUS + 1];
	int n = 0, i;

	if (!bk)
		setup();
	overflows = guarded = 0;
	if (size < 1)
		return 0;
	if ((data[0] & 1) == 0) {
		const uint8_t *p = data + 1, *end = data + size;
		while (p <= end && n < MAX_FILES) {
			const uint8_t *ff = memchr(p, '\f', (size_t)(end - p));
			const uint8_t *stop = ff ? ff : end;
			msgs[n] = malloc(sizeof *msgs[n]);
			if (!msgs[n])
				abort();
			if (read_backup(p, (size_t)(stop - p), n + 1, msgs[n]))
				n++;
			else
				free(msgs[n]);
			if (!ff)
				break;
			p = ff + 1;
		}
	} else {
		size_t at = 1;
		while (at + 2 <= size && n < MAX_PDUS) {
			int smsc = data[at] & 1;
			size_t len = data[at + 1], used = 0;
			at += 2;
			if (len > size - at)
				len = size - at;
			msgs[n] = calloc(1, sizeof *msgs[n]);
			if (!msgs[n])
				abort();
			if (pdu_safe(data + at, len, smsc) &&
			    GSM_DecodePDUFrame(NULL, &msgs[n]->SMS[0], data + at, len,
			                       &used, smsc ? TRUE : FALSE) == ERR_NONE) {
				if (used > len)
					abort();
				/* no guard(): the PDU decoder must bound its fields */
				msgs[n]->Number = 1;
				msgs[n]->SMS[0].Folder = 1;
				msgs[n]->SMS[0].InboxFolder = TRUE;
				n++;
			} else {
				free(msgs[n]);
			}
			at += len;
		}
	}
	msgs[n] = NULL;
	if (n > 0)
		link_and_decode(msgs, n);
	for (i = 0; i < n; i++)
		free(msgs[i]);
	return 0;
}
