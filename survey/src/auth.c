/*
 * auth.c -- devices, users, sessions, scopes and the sealed-box keys.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "anxin/auth.h"
#include "anxin/sync.h"
#include "anxin_int.h"
#include "db.h"
#include "sync_int.h"

static int sodium_ready(void)
{
	return sodium_init() >= 0;
}

/* ---- scopes ----------------------------------------------------------- */
/* A region covers the codes at or below its rank that start with its
 * significant prefix (ax__region_prefix_len): a city its counties and
 * everything under them. */
int ax_region_covers(const char *ancestor, const char *code)
{
	size_t n = ax__region_prefix_len(ancestor);
	int rank = ax__region_rank(code);

	if (!n || rank < -1 || rank < ax__region_rank(ancestor))
		return 0;
	return strncmp(ancestor, code, n) == 0;
}

int ax_scope_covers(const char *scope, const char *code)
{
	char one[32];
	const char *p = scope;

	while (p && *p) {
		const char *c = strchr(p, ',');
		size_t n = c ? (size_t)(c - p) : strlen(p);
		if (n < sizeof one) {
			memcpy(one, p, n);
			one[n] = '\0';
			if (ax_region_covers(one, code))
				return 1;
		}
		p = c ? c + 1 : NULL;
	}
	return 0;
}

/* The level of the region whose code is the n bytes at p, -9 when no
 * such region (or on a store error: *rc). */
static int region_level(ax_store *st, const char *p, int n, ax_rc *rc)
{
	char code[AX_SCOPE_MAX];
	ax_stmt *s;
	int lv = -9, src;

	snprintf(code, sizeof code, "%.*s", n, p);
	if ((*rc = ax__dprepare(st, &s, "SELECT level FROM regions WHERE code = ?")))
		return -9;
	ax_stmt_bind_text(s, 1, code);
	if ((src = ax_stmt_step(s)) == AX_DB_ROW)
		lv = (int)ax_stmt_int64(s, 0);
	else if (src == AX_DB_ERROR)
		*rc = ax__store_dberr(st, "regions");
	ax_stmt_finalize(s);
	return lv;
}

/* Every code of a scope list must be a known region. */
static ax_rc check_scope(ax_store *st, const char *scope)
{
	const char *p = scope;
	ax_rc rc = AX_OK;

	if (!scope || !*scope || strlen(scope) >= AX_SCOPE_MAX) {
		ax__store_seterr(st, "scope must list 1 or more region codes");
		return AX_INVALID;
	}
	while (p && *p && !rc) {
		const char *c = strchr(p, ',');
		int n = c ? (int)(c - p) : (int)strlen(p);
		if (region_level(st, p, n, &rc) == -9 && !rc) {
			ax__store_seterr(st, "scope code \"%.*s\" is not a known region",
			                 n, p);
			rc = AX_INVALID;
		}
		p = c ? c + 1 : NULL;
	}
	return rc;
}

/* ---- tokens ----------------------------------------------------------- */
static void random_token(const char *prefix, char out[AX_TOKEN_MAX])
{
	unsigned char raw[32];
	size_t k = strlen(prefix);
	randombytes_buf(raw, sizeof raw);
	memcpy(out, prefix, k);
	sodium_bin2base64(out + k, AX_TOKEN_MAX - k, raw, sizeof raw,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
}

/* BLAKE2b-256 hex of a high-entropy token (not for passwords). */
static void token_hash(const char *token, char hex[65])
{
	unsigned char h[32];
	crypto_generichash(h, sizeof h, (const unsigned char *)token,
	                   strlen(token), NULL, 0);
	sodium_bin2hex(hex, 65, h, sizeof h);
}

/* ---- devices ---------------------------------------------------------- */
/* A device or user row: four texts (the name first) and the time now;
 * AX_CONFLICT saying so when the name is taken. */
static ax_rc insert_named(ax_store *st, const char *sql, const char *const v[4],
                          const char *what)
{
	ax_stmt *s;
	ax_rc rc;

	if ((rc = ax__dprepare(st, &s, sql)))
		return rc;
	for (int i = 0; i < 4; i++)
		ax_stmt_bind_text(s, i + 1, v[i]);
	ax_stmt_bind_int64(s, 5, (int64_t)time(NULL));
	if (ax_stmt_step(s) == AX_DB_ERROR &&
	    (rc = ax__store_dberr(st, what)) == AX_CONFLICT)
		ax__store_seterr(st, "%s \"%s\" already exists", what, v[0]);
	ax_stmt_finalize(s);
	return rc;
}

ax_rc ax_device_add(ax_store *st, const char *name, const char *kind,
                    const char *scope, char token_out[AX_TOKEN_MAX])
{
	char hash[65];
	ax_rc rc;

	token_out[0] = '\0';
	if (!sodium_ready())
		return AX_ERROR;
	if (!name || !*name || strlen(name) > 63 ||
	    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                 "0123456789._-") != strlen(name)) {
		/* it reaches logs, /metrics labels and record ids' sources */
		ax__store_seterr(st, "device name must be 1 to 63 of A-Z a-z 0-9 "
		                     ". _ -");
		return AX_INVALID;
	}
	if (!kind || (strcmp(kind, "kiosk") && strcmp(kind, "smsd"))) {
		ax__store_seterr(st, "device kind must be kiosk or smsd");
		return AX_INVALID;
	}
	if ((rc = check_scope(st, scope)))
		return rc;
	random_token(strcmp(kind, "kiosk") == 0 ? "axk_" : "axs_", token_out);
	token_hash(token_out, hash);
	const char *v[4] = {name, kind, scope, hash};
	if ((rc = insert_named(st, "INSERT INTO devices(id, kind, scope, "
	                           "token_hash, created_at) VALUES(?,?,?,?,?)",
	                       v, "device")))
		token_out[0] = '\0';
	return rc;
}

ax_rc ax_device_revoke(ax_store *st, const char *name)
{
	ax_stmt *s;
	int64_t n;
	ax_rc rc;

	if ((rc = ax__dprepare(st, &s, "UPDATE devices SET revoked_at = ? WHERE id "
	                               "= ? AND revoked_at IS NULL")))
		return rc;
	ax_stmt_bind_int64(s, 1, (int64_t)time(NULL));
	ax_stmt_bind_text(s, 2, name);
	if (ax_stmt_step(s) == AX_DB_ERROR)
		rc = ax__store_dberr(st, "devices");
	n = ax_stmt_changes(s);
	ax_stmt_finalize(s);
	if (rc)
		return rc;
	if (n == 0) {
		ax__store_seterr(st, "no active device \"%s\"", name);
		return AX_NOTFOUND;
	}
	return AX_OK;
}

static void read_device(ax_stmt *s, struct ax_device *d)
{
	memset(d, 0, sizeof *d);
	snprintf(d->id, sizeof d->id, "%s", ax_stmt_text(s, 0));
	snprintf(d->kind, sizeof d->kind, "%s", ax_stmt_text(s, 1));
	snprintf(d->scope, sizeof d->scope, "%s", ax_stmt_text(s, 2));
	d->created_at = ax_stmt_int64(s, 3);
	d->revoked_at = ax_stmt_int64(s, 4);
	d->last_seen = ax_stmt_int64(s, 5);
	d->backlog = ax_stmt_is_null(s, 6) ? -1 : ax_stmt_int64(s, 6);
}

#define DEVICE_COLS "id, kind, scope, created_at, revoked_at, last_seen, backlog"

ax_rc ax_device_list(ax_store *st, struct ax_device **out, int *n)
{
	ax_stmt *s;
	struct ax_device *v = NULL;
	int cap = 0, src;
	ax_rc rc;

	*out = NULL;
	*n = 0;
	if ((rc = ax__dprepare(st, &s, "SELECT " DEVICE_COLS " FROM devices ORDER BY id")))
		return rc;
	while ((src = ax_stmt_step(s)) == AX_DB_ROW) {
		if (*n == cap) {
			struct ax_device *nv = realloc(v, sizeof *v * (size_t)(cap = cap ? cap * 2 : 16));
			if (!nv) {
				free(v);
				ax_stmt_finalize(s);
				*n = 0;
				return AX_NOMEM;
			}
			v = nv;
		}
		read_device(s, &v[(*n)++]);
	}
	rc = src == AX_DB_DONE ? AX_OK : ax__store_dberr(st, "devices");
	ax_stmt_finalize(s);
	if (rc) {
		free(v);
		*n = 0;
		return rc;
	}
	*out = v;
	return AX_OK;
}

ax_rc ax_device_auth(ax_store *st, const char *token, struct ax_device *out)
{
	ax_stmt *s;
	char hash[65];
	ax_rc rc;
	int src;

	memset(out, 0, sizeof *out);
	if (!sodium_ready() || !token || strlen(token) < 20 || strlen(token) > 90)
		return AX_DENIED;
	token_hash(token, hash);
	if ((rc = ax__dprepare(st, &s, "SELECT " DEVICE_COLS " FROM devices WHERE "
	                               "token_hash = ? AND revoked_at IS NULL")))
		return rc;
	ax_stmt_bind_text(s, 1, hash);
	rc = AX_DENIED;
	if ((src = ax_stmt_step(s)) == AX_DB_ROW) {
		read_device(s, out);
		rc = AX_OK;
	} else if (src == AX_DB_ERROR) {
		rc = ax__store_dberr(st, "devices");
	}
	ax_stmt_finalize(s);
	return rc;
}

ax_rc ax_device_seen(ax_store *st, const char *id, long long backlog)
{
	ax_stmt *s;
	ax_rc rc;
	int src;

	if ((rc = ax__dprepare(st, &s, "UPDATE devices SET last_seen = ?, backlog = "
	                               "CASE WHEN ? < 0 THEN backlog ELSE ? END "
	                               "WHERE id = ?")))
		return rc;
	ax_stmt_bind_int64(s, 1, (int64_t)time(NULL));
	ax_stmt_bind_int64(s, 2, backlog);
	ax_stmt_bind_int64(s, 3, backlog);
	ax_stmt_bind_text(s, 4, id);
	src = ax_stmt_step(s);
	rc = src == AX_DB_DONE ? AX_OK : ax__store_dberr(st, "device_seen");
	ax_stmt_finalize(s);
	return rc;
}

/* Kept in the server's sync_state as "queue.DEVICE" (no column: the
 * report is a display string, never queried). */
ax_rc ax_device_queue_set(ax_store *st, const char *id, const char *text)
{
	char key[96];
	if (text && !ax_sync_queue_valid(text))
		return AX_INVALID;
	snprintf(key, sizeof key, "queue.%s", id);
	return ax__sync_state_set(st, key, text);
}

ax_rc ax_device_queue_get(ax_store *st, const char *id, char out[64])
{
	char key[96], *v = NULL;
	ax_rc rc;
	out[0] = '\0';
	snprintf(key, sizeof key, "queue.%s", id);
	if ((rc = ax__sync_state_get(st, key, &v)))
		return rc;
	if (v)
		snprintf(out, AX_QUEUE_MAX, "%s", v);
	free(v);
	return AX_OK;
}

/* ---- users ------------------------------------------------------------ */
static const char *const role_names[] = {"county", "township", "grid"};

const char *ax_role_name(enum ax_role r)
{
	return (unsigned)r < 3 ? role_names[r] : "?";
}

static ax_rc check_role_scope(ax_store *st, const char *role,
                              const char *scope);

ax_rc ax_user_add(ax_store *st, const char *name, const char *password,
                  const char *role, const char *scope, int replace)
{
	char hash[crypto_pwhash_STRBYTES];
	int ok = 0;
	ax_rc rc;

	if (!sodium_ready())
		return AX_ERROR;
	for (int i = 0; i < 3; i++)
		ok |= role && strcmp(role, role_names[i]) == 0;
	if (!ok) {
		ax__store_seterr(st, "role must be county, township or grid");
		return AX_INVALID;
	}
	if (!name || !*name || strlen(name) > 63) {
		ax__store_seterr(st, "user name must be 1 to 63 characters");
		return AX_INVALID;
	}
	if (!password || strlen(password) < 8) {
		ax__store_seterr(st, "password must have at least 8 characters");
		return AX_INVALID;
	}
	if (replace) {
		ax__store_seterr(st, "a reset changes the password only: "
		                     "ax_user_set_password");
		return AX_INVALID;
	}
	if ((rc = check_scope(st, scope)) || (rc = check_role_scope(st, role, scope)))
		return rc;
	if (crypto_pwhash_str(hash, password, strlen(password),
	                      crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return AX_NOMEM;
	{
		const char *v[4] = {name, hash, role, scope};
		return insert_named(st, "INSERT INTO users(name, pw_hash, role, "
		                        "scope, created_at) VALUES(?,?,?,?,?)",
		                    v, "user");
	}
}

/* The region levels (-1 province, 0 city, 1 county .. 4 grid) each
 * role's scope may name: the county role is the top role, also of a
 * city's or a province's staff (issue 19). */
static ax_rc check_role_scope(ax_store *st, const char *role, const char *scope)
{
	static const char *const levels[] = {"province", "city", "county",
	                                     "township", "village", "grid"};
	int lo = strcmp(role, "county") == 0 ? -1 : strcmp(role, "township") == 0 ? 2 : 3;
	int hi = lo == 3 ? 4 : lo == -1 ? 1 : lo;
	const char *p = scope;
	ax_rc rc = AX_OK;

	while (p && *p && !rc) {
		const char *c = strchr(p, ',');
		int n = c ? (int)(c - p) : (int)strlen(p);
		int lv = region_level(st, p, n, &rc);
		if (rc)
			break;
		if (lv < lo || lv > hi) {
			ax__store_seterr(st, "scope code \"%.*s\" is a %s: a %s user's "
			                 "scope lists %s", n, p,
			                 lv >= -1 && lv <= 4 ? levels[lv + 1] : "region",
			                 role, lo == -1 ? "a county, city or province"
			                 : lo == 2
			                 ? "townships" : "villages or grids");
			rc = AX_INVALID;
		}
		p = c ? c + 1 : NULL;
	}
	return rc;
}

/* Run `sql` with ?1 = name on an existing user (AX_NOTFOUND otherwise),
 * then end the user's sessions, in one transaction. */
static ax_rc user_change(ax_store *st, const char *name, const char *sql,
                         const char *hash)
{
	ax_stmt *s;
	int src;
	int64_t n;
	ax_rc rc;

	if ((rc = ax_store_begin(st)))
		return rc;
	if ((rc = ax__dprepare(st, &s, sql)))
		goto fail;
	ax_stmt_bind_text(s, 1, name ? name : "");
	if (hash)
		ax_stmt_bind_text(s, 2, hash);
	src = ax_stmt_step(s);
	n = ax_stmt_changes(s);
	if (src == AX_DB_ERROR)
		rc = ax__store_dberr(st, "user");
	ax_stmt_finalize(s);
	if (rc)
		goto fail;
	if (n == 0) {
		ax__store_seterr(st, "no user \"%s\" (`anxin user add` makes one)",
		                 name ? name : "");
		rc = AX_NOTFOUND;
		goto fail;
	}
	if ((rc = ax__dprepare(st, &s, "DELETE FROM sessions WHERE \"user\" = ?1")))
		goto fail;
	ax_stmt_bind_text(s, 1, name);
	if (ax_stmt_step(s) == AX_DB_ERROR)
		rc = ax__store_dberr(st, "sessions");
	ax_stmt_finalize(s);
	if (rc)
		goto fail;
	if (!(rc = ax_store_commit(st)))
		return AX_OK;
fail:
	ax_store_rollback(st);
	return rc;
}

ax_rc ax_user_set_password(ax_store *st, const char *name, const char *password)
{
	char hash[crypto_pwhash_STRBYTES];

	if (!sodium_ready())
		return AX_ERROR;
	if (!password || strlen(password) < 8) {
		ax__store_seterr(st, "password must have at least 8 characters");
		return AX_INVALID;
	}
	if (crypto_pwhash_str(hash, password, strlen(password),
	                      crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return AX_NOMEM;
	return user_change(st, name, "UPDATE users SET pw_hash = ?2 WHERE name = ?1",
	                   hash);
}

ax_rc ax_user_disable(ax_store *st, const char *name)
{
	return user_change(st, name, "UPDATE users SET disabled = 1 WHERE name = ?1",
	                   NULL);
}

ax_rc ax_user_logout(ax_store *st, const char *name)
{
	return user_change(st, name, "UPDATE users SET name = name WHERE name = ?1",
	                   NULL);
}

ax_rc ax_user_list(ax_store *st, struct ax_user_row **out, int *n)
{
	ax_stmt *s;
	struct ax_user_row *v = NULL;
	int cap = 0, src;
	ax_rc rc;

	*out = NULL;
	*n = 0;
	if ((rc = ax__dprepare(st, &s,
	                       "SELECT name, role, scope, disabled, created_at, "
	                       "(SELECT COUNT(*) FROM sessions x WHERE x.\"user\" "
	                       "= u.name AND x.expires_at > ?1) FROM users u ORDER "
	                       "BY name")))
		return rc;
	ax_stmt_bind_int64(s, 1, (int64_t)time(NULL));
	while ((src = ax_stmt_step(s)) == AX_DB_ROW) {
		struct ax_user_row *r;
		if (*n == cap) {
			struct ax_user_row *nv = realloc(v, sizeof *v * (size_t)(cap = cap ? cap * 2 : 16));
			if (!nv) {
				free(v);
				ax_stmt_finalize(s);
				return AX_NOMEM;
			}
			v = nv;
		}
		r = &v[(*n)++];
		memset(r, 0, sizeof *r);
		snprintf(r->name, sizeof r->name, "%s", ax_stmt_text(s, 0));
		snprintf(r->role, sizeof r->role, "%s", ax_stmt_text(s, 1));
		snprintf(r->scope, sizeof r->scope, "%s", ax_stmt_text(s, 2));
		r->disabled = (int)ax_stmt_int64(s, 3);
		r->created_at = ax_stmt_int64(s, 4);
		r->sessions = (int)ax_stmt_int64(s, 5);
	}
	if (src == AX_DB_ERROR)
		rc = ax__store_dberr(st, "users");
	ax_stmt_finalize(s);
	if (rc) {
		free(v);
		*n = 0;
		return rc;
	}
	*out = v;
	return AX_OK;
}

static int role_of(const char *s)
{
	for (int i = 0; i < 3; i++)
		if (strcmp(s, role_names[i]) == 0)
			return i;
	return AX_ROLE_GRID;
}

ax_rc ax_user_verify(ax_store *st, const char *name, const char *password,
                     struct ax_user *out)
{
	/* a valid hash of nothing in particular, so unknown users cost the
	 * same time as known ones */
	static char dummy[crypto_pwhash_STRBYTES];
	ax_stmt *s;
	char hash[crypto_pwhash_STRBYTES] = "";
	int found = 0, src;
	ax_rc rc;

	memset(out, 0, sizeof *out);
	if (!sodium_ready() || !password)
		return AX_DENIED;
	if (!dummy[0] &&
	    crypto_pwhash_str(dummy, "x", 1, crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return AX_NOMEM;
	if ((rc = ax__dprepare(st, &s, "SELECT pw_hash, role, scope FROM users "
	                               "WHERE name = ? AND disabled = 0")))
		return rc;
	ax_stmt_bind_text(s, 1, name ? name : "");
	if ((src = ax_stmt_step(s)) == AX_DB_ROW) {
		found = 1;
		snprintf(hash, sizeof hash, "%s", ax_stmt_text(s, 0));
		snprintf(out->name, sizeof out->name, "%s", name);
		out->role = (enum ax_role)role_of(ax_stmt_text(s, 1));
		snprintf(out->scope, sizeof out->scope, "%s", ax_stmt_text(s, 2));
	}
	ax_stmt_finalize(s);
	if (src == AX_DB_ERROR) {
		memset(out, 0, sizeof *out);
		return ax__store_dberr(st, "users");
	}
	if (crypto_pwhash_str_verify(found ? hash : dummy, password,
	                             strlen(password)) != 0 ||
	    !found) {
		memset(out, 0, sizeof *out);
		return AX_DENIED;
	}
	return AX_OK;
}

/* ---- sessions --------------------------------------------------------- */
ax_rc ax_session_create(ax_store *st, const char *user, int ttl,
                        char sid[AX_TOKEN_MAX], char csrf[AX_TOKEN_MAX])
{
	ax_stmt *s;
	char hash[65];
	long long now = (long long)time(NULL);
	int src;
	ax_rc rc;

	if (!sodium_ready())
		return AX_ERROR;
	random_token("", sid);
	random_token("", csrf);
	token_hash(sid, hash);
	/* expired sessions go on the way */
	if ((rc = ax__dprepare(st, &s, "DELETE FROM sessions WHERE expires_at < ?")))
		return rc;
	ax_stmt_bind_int64(s, 1, now);
	ax_stmt_step(s);
	ax_stmt_finalize(s);
	/* "user" quoted: a reserved word on PostgreSQL, the same on SQLite */
	if ((rc = ax__dprepare(st, &s, "INSERT INTO sessions(id_hash, \"user\", "
	                               "csrf, created_at, expires_at) "
	                               "VALUES(?,?,?,?,?)")))
		return rc;
	ax_stmt_bind_text(s, 1, hash);
	ax_stmt_bind_text(s, 2, user);
	ax_stmt_bind_text(s, 3, csrf);
	ax_stmt_bind_int64(s, 4, now);
	ax_stmt_bind_int64(s, 5, now + ttl);
	src = ax_stmt_step(s);
	rc = src == AX_DB_DONE ? AX_OK : ax__store_dberr(st, "session");
	ax_stmt_finalize(s);
	return rc;
}

ax_rc ax_session_get(ax_store *st, const char *sid, struct ax_user *user,
                     char csrf[AX_TOKEN_MAX])
{
	ax_stmt *s;
	char hash[65];
	ax_rc rc;
	int src;

	memset(user, 0, sizeof *user);
	if (!sodium_ready() || !sid || strlen(sid) < 20 || strlen(sid) > 90)
		return AX_DENIED;
	token_hash(sid, hash);
	if ((rc = ax__dprepare(st, &s,
	                       "SELECT u.name, u.role, u.scope, s.csrf FROM sessions "
	                       "s JOIN users u ON u.name = s.\"user\" WHERE "
	                       "s.id_hash = ? AND s.expires_at > ? AND "
	                       "u.disabled = 0")))
		return rc;
	ax_stmt_bind_text(s, 1, hash);
	ax_stmt_bind_int64(s, 2, (int64_t)time(NULL));
	rc = AX_DENIED;
	if ((src = ax_stmt_step(s)) == AX_DB_ROW) {
		snprintf(user->name, sizeof user->name, "%s", ax_stmt_text(s, 0));
		user->role = (enum ax_role)role_of(ax_stmt_text(s, 1));
		snprintf(user->scope, sizeof user->scope, "%s", ax_stmt_text(s, 2));
		snprintf(csrf, AX_TOKEN_MAX, "%s", ax_stmt_text(s, 3));
		rc = AX_OK;
	} else if (src == AX_DB_ERROR) {
		rc = ax__store_dberr(st, "sessions");
	}
	ax_stmt_finalize(s);
	return rc;
}

ax_rc ax_session_delete(ax_store *st, const char *sid)
{
	ax_stmt *s;
	char hash[65];
	ax_rc rc;

	if (!sid)
		return AX_OK;
	token_hash(sid, hash);
	if ((rc = ax__dprepare(st, &s, "DELETE FROM sessions WHERE id_hash = ?")))
		return rc;
	ax_stmt_bind_text(s, 1, hash);
	ax_stmt_step(s);
	ax_stmt_finalize(s);
	return AX_OK;
}

/* ---- keys ------------------------------------------------------------- */
ax_rc ax_store_keypair(ax_store *st, unsigned char pk[AX_PUBKEY_BYTES],
                       unsigned char sk[AX_PUBKEY_BYTES])
{
	ax_stmt *s;
	unsigned char buf[AX_PUBKEY_BYTES];
	int found = 0, src;
	ax_rc rc;

	if (!sodium_ready())
		return AX_ERROR;
	if ((rc = ax__dprepare(st, &s, "SELECT public, secret FROM keys WHERE name = 'seal'")))
		return rc;
	if ((src = ax_stmt_step(s)) == AX_DB_ROW &&
	    ax_stmt_blob(s, 0, buf, sizeof buf) == AX_PUBKEY_BYTES) {
		memcpy(pk, buf, AX_PUBKEY_BYTES);
		if (sk && ax_stmt_blob(s, 1, sk, AX_PUBKEY_BYTES) != AX_PUBKEY_BYTES)
			memset(sk, 0, AX_PUBKEY_BYTES);
		found = 1;
	}
	rc = src == AX_DB_ERROR ? ax__store_dberr(st, "keys") : AX_OK;
	ax_stmt_finalize(s);
	if (found || rc)
		return rc;
	{
		unsigned char npk[AX_PUBKEY_BYTES], nsk[AX_PUBKEY_BYTES];
		crypto_box_keypair(npk, nsk);
		if ((rc = ax__dprepare(st, &s, "INSERT INTO keys(name, public, secret) "
		                               "VALUES('seal', ?, ?) ON CONFLICT(name) "
		                               "DO NOTHING")))
			return rc;
		ax_stmt_bind_blob(s, 1, npk, sizeof npk);
		ax_stmt_bind_blob(s, 2, nsk, sizeof nsk);
		src = ax_stmt_step(s);
		sodium_memzero(nsk, sizeof nsk);
		rc = src == AX_DB_DONE ? AX_OK : ax__store_dberr(st, "keys");
		ax_stmt_finalize(s);
		if (rc)
			return rc;
	}
	return ax_store_keypair(st, pk, sk); /* re-read: another writer may have won */
}

ax_rc ax_seal_phone(const unsigned char pk[AX_PUBKEY_BYTES], const char *phone,
                    char out[128])
{
	unsigned char box[crypto_box_SEALBYTES + 32];
	size_t n = strlen(phone);

	if (!sodium_ready() || n > 32)
		return AX_INVALID;
	if (crypto_box_seal(box, (const unsigned char *)phone, n, pk) != 0)
		return AX_ERROR;
	sodium_bin2base64(out, 128, box, crypto_box_SEALBYTES + n,
	                  sodium_base64_VARIANT_ORIGINAL);
	return AX_OK;
}

ax_rc ax_unseal_phone(const unsigned char pk[AX_PUBKEY_BYTES],
                      const unsigned char sk[AX_PUBKEY_BYTES],
                      const char *sealed, char *out, size_t outlen)
{
	unsigned char box[crypto_box_SEALBYTES + 64];
	size_t n;

	if (!sodium_ready() || !sealed || strlen(sealed) > 140)
		return AX_INVALID;
	if (sodium_base642bin(box, sizeof box, sealed, strlen(sealed), NULL, &n,
	                      NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    n <= crypto_box_SEALBYTES || n - crypto_box_SEALBYTES >= outlen)
		return AX_INVALID;
	if (crypto_box_seal_open((unsigned char *)out, box, n, pk, sk) != 0)
		return AX_INVALID;
	out[n - crypto_box_SEALBYTES] = '\0';
	return AX_OK;
}
