/*
 * auth.h -- devices (bearer tokens), staff users (passwords), dashboard
 * sessions, region scopes, and the store's key pair for sealed phone
 * numbers.  Secrets are hashed with libsodium: device tokens (256 random
 * bits) with BLAKE2b, passwords with crypto_pwhash (Argon2id).
 */
#ifndef ANXIN_AUTH_H
#define ANXIN_AUTH_H

#include "anxin.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AX_TOKEN_MAX 96
#define AX_SCOPE_MAX 256

/* 1 if region `code` is `ancestor` or lies inside it (by code prefix). */
int ax_region_covers(const char *ancestor, const char *code);
/* 1 if any code of the comma-separated `scope` covers `code`. */
int ax_scope_covers(const char *scope, const char *code);

struct ax_device {
	char id[64];
	char kind[8];              /* kiosk | smsd */
	char scope[AX_SCOPE_MAX];  /* comma-separated region codes */
	long long created_at, revoked_at, last_seen, backlog;
};

/*
 * Register a device.  Writes the bearer token (shown once; only its hash
 * is stored) to token_out.  AX_CONFLICT if the name exists; AX_INVALID
 * for an unknown kind or a scope code that is not a known region.
 */
ax_rc ax_device_add(ax_store *st, const char *name, const char *kind,
                    const char *scope, char token_out[AX_TOKEN_MAX]);
ax_rc ax_device_revoke(ax_store *st, const char *name);
/* All devices; caller frees *out with ax_free(). */
ax_rc ax_device_list(ax_store *st, struct ax_device **out, int *n);
/* The active device owning token; AX_DENIED if none or revoked. */
ax_rc ax_device_auth(ax_store *st, const char *token, struct ax_device *out);
/* Record that a device was seen now, with its reported backlog (-1:
 * unknown). */
ax_rc ax_device_seen(ax_store *st, const char *id, long long backlog);
/* The send backlog a gateway reported (sync.h ax_sync_set_queue), kept
 * on the server; get fills out[AX_QUEUE_MAX] ("" when none). */
ax_rc ax_device_queue_set(ax_store *st, const char *id, const char *text);
ax_rc ax_device_queue_get(ax_store *st, const char *id, char out[64]);

enum ax_role { AX_ROLE_COUNTY, AX_ROLE_TOWNSHIP, AX_ROLE_GRID };
const char *ax_role_name(enum ax_role r);

struct ax_user {
	char name[64];
	enum ax_role role;
	char scope[AX_SCOPE_MAX];
};

/* Add a staff user.  The scope's codes must fit the role: a county user's
 * the county, a township user's townships, a grid user's villages or
 * grids (AX_INVALID, saying which code does not).  replace must be 0
 * (a reset is ax_user_set_password). */
ax_rc ax_user_add(ax_store *st, const char *name, const char *password,
                  const char *role, const char *scope, int replace);
/* Change an existing user's password and end the user's sessions; role,
 * scope and a disabled flag stay.  AX_NOTFOUND for an unknown name. */
ax_rc ax_user_set_password(ax_store *st, const char *name,
                           const char *password);
/* Disable a user (no login) and end the user's sessions; AX_NOTFOUND. */
ax_rc ax_user_disable(ax_store *st, const char *name);
/* End every session of a user; AX_NOTFOUND for an unknown name. */
ax_rc ax_user_logout(ax_store *st, const char *name);
struct ax_user_row {
	char name[64], role[16], scope[AX_SCOPE_MAX];
	int disabled, sessions; /* live sessions */
	long long created_at;
};
/* Every user by name; free *out with ax_free(). */
ax_rc ax_user_list(ax_store *st, struct ax_user_row **out, int *n);
/* Check a password; AX_DENIED on any mismatch (same time either way). */
ax_rc ax_user_verify(ax_store *st, const char *name, const char *password,
                     struct ax_user *out);

/* Create a session of ttl seconds; sid and csrf get 43-char tokens. */
ax_rc ax_session_create(ax_store *st, const char *user, int ttl,
                        char sid[AX_TOKEN_MAX], char csrf[AX_TOKEN_MAX]);
/* Resolve a live session; AX_DENIED if unknown or expired. */
ax_rc ax_session_get(ax_store *st, const char *sid, struct ax_user *user,
                     char csrf[AX_TOKEN_MAX]);
ax_rc ax_session_delete(ax_store *st, const char *sid);

/*
 * The login limiter (login_limit.c): failures per key -- an address
 * ("a:ADDR", IPv6 by its /64) or an account ("u:NAME") -- kept in the
 * store, so every central process on one store counts the same failures
 * (issue 19).  AX_LOGIN_MAX_FAILS failures within AX_LOGIN_WINDOW seconds
 * block the key for AX_LOGIN_BLOCK seconds, doubled for each block in a
 * row (at most AX_LOGIN_BLOCK_MAX); a block ended more than a window ago
 * starts the doubling again.  `now` is the caller's clock (seconds).
 * Safe from several processes and threads, each with its own handle.
 */
#define AX_LOGIN_MAX_FAILS 5
#define AX_LOGIN_WINDOW (15 * 60)
#define AX_LOGIN_BLOCK (5 * 60)
#define AX_LOGIN_BLOCK_MAX 3600

/* *left: the seconds `key` (borrowed) stays blocked, 0 when it may try. */
ax_rc ax_login_blocked(ax_store *st, const char *key, long long now,
                       long long *left);
/* Count a failure of `key` (ok = 0) or clear it (ok = 1), in one
 * transaction; *left: the seconds it is now blocked for (0 when not). */
ax_rc ax_login_note(ax_store *st, const char *key, int ok, long long now,
                    long long *left);

/* The store's X25519 key pair for sealed boxes, made on first use. */
#define AX_PUBKEY_BYTES 32
ax_rc ax_store_keypair(ax_store *st, unsigned char pk[AX_PUBKEY_BYTES],
                       unsigned char sk[AX_PUBKEY_BYTES]);

/* Seal a phone number for the central store (kiosk side): base64 of a
 * libsodium sealed box.  out must hold 128 bytes. */
ax_rc ax_seal_phone(const unsigned char pk[AX_PUBKEY_BYTES], const char *phone,
                    char out[128]);
/* Open a sealed phone (central side); out holds AX_PHONE_MAX bytes. */
ax_rc ax_unseal_phone(const unsigned char pk[AX_PUBKEY_BYTES],
                      const unsigned char sk[AX_PUBKEY_BYTES],
                      const char *sealed, char *out, size_t outlen);

#ifdef __cplusplus
}
#endif
#endif
