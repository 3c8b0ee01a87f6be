/* The world's kernel keys (keyrings(7)): the key table in the world region
 * (struct picos_keys in include/picos/world.h), shared by every process of
 * the world and never by the host's keyrings.  keys.c holds the model
 * (keys, keyrings, permissions, possession, searches, quotas, garbage
 * collection), sys_keyctl.c the system calls on top of it.
 *
 * Everything named here runs under the world table's lock (task_lock)
 * unless it says otherwise. */
#ifndef PICOS_KEYS_H
#define PICOS_KEYS_H

#include "proc.h"
#include <picos/world.h>

#define KEYT_USER 1
#define KEYT_KEYRING 2

#define KEYF_REVOKED 1
#define KEYF_INVALID 2
#define KEYF_UID_RING 4 /* a user or user-session keyring: not joinable */
#define KEYF_NO_QUOTA 8 /* charged to nobody (persistent keyrings) */

/* Permission bits of one class (key_perm_t's low byte). */
#define KP_VIEW 0x01
#define KP_READ 0x02
#define KP_WRITE 0x04
#define KP_SEARCH 0x08
#define KP_LINK 0x10
#define KP_SETATTR 0x20
#define KP_ALL 0x3f

/* Linux's defaults: /proc/sys/kernel/keys and KEYQUOTA_LINK_BYTES. */
#define KEY_GC_DELAY 300
#define KEY_PERSISTENT_EXPIRY 259200
#define KEY_LINK_BYTES 4
#define KEY_DESC_MAX 4096	/* with the NUL */
#define KEY_USER_DATA_MAX 32767 /* a "user" key's payload */

/* A key found by a lookup, and whether the caller possesses it. */
struct kref {
	struct picos_key *k;
	bool poss;
};

/* lookup_key flags and needs (Linux's KEY_LOOKUP_* and key_need_perm). */
#define LK_CREATE 1  /* special keyrings are created on demand */
#define LK_PARTIAL 2 /* no longer means anything here: all keys are whole */
#define NEED_UNLINK 0x100 /* neither validity nor permission checked */
#define NEED_DEFER 0x200  /* validity and permission left to the caller */

/* Quota modes of key_new. */
enum key_quota { Q_CHECK, Q_OVERRUN, Q_NONE };

struct picos_keys *keys_table(void);
int64_t keys_now(void);
/* The calling thread's keyrings (its credentials' part). */
struct picos_keycred *keys_cred(void);
/* Frees what nothing refers to; drops links to dead keys. */
void keys_gc(int64_t now);

struct picos_key *key_by_serial(int32_t serial);
const char *key_desc(const struct picos_key *k);
bool key_desc_is(const struct picos_key *k, const char *desc, size_t n);
const char *key_type_name(int type);
/* The type named `name` (KEYT_*), 0 when picos has no such type. */
int key_type_of(const char *name);
/* -ENOKEY (invalidated), -EKEYREVOKED, -EKEYEXPIRED or 0. */
long key_validate(const struct picos_key *k, int64_t now);
bool key_perm_ok(const struct picos_key *k, bool poss, unsigned need);
bool key_possessed(const struct picos_key *k);

/* A new key in the table, charged to `uid` as `quota` says (`extra`
 * more bytes counted in the check: a payload to come, a link). */
long key_new(int type, const char *desc, uint32_t uid, uint32_t gid,
	     uint32_t perm, enum key_quota quota, uint32_t extra,
	     struct picos_key **out);
void key_free(struct picos_key *k);
/* A user key's payload replaced: -EDQUOT, -ENOMEM or 0. */
long key_set_payload(struct picos_key *k, const void *data, size_t n);
const unsigned char *key_payload(const struct picos_key *k);
void key_revoke(struct picos_key *k, int64_t now);

/* Keyrings' links. */
uint32_t ring_count(const struct picos_key *r);
int32_t ring_at(const struct picos_key *r, uint32_t i);
/* The index of the link to a key of this type and description, or -1. */
long ring_find(const struct picos_key *r, int type, const char *desc,
	       size_t n);
long key_link(struct picos_key *ring, struct picos_key *key);
long key_unlink(struct picos_key *ring, struct picos_key *key);
long keyring_clear(struct picos_key *ring);
/* Whether the owner of `k` may be charged `keys` more keys and `bytes`
 * more bytes (always when k is NULL-owner-free: see keys.c). */
bool quota_allows(uint32_t uid, uint32_t keys, uint32_t bytes);
uint32_t key_quota_bytes(const struct picos_key *k);

/* lookup_user_key: a serial or a KEY_SPEC_* id to a key. */
long lookup_key(int32_t id, unsigned lflags, unsigned need, struct kref *out);
/* The user and user-session keyrings of the real uid, made on demand. */
long user_keyrings(struct picos_key **uring, struct picos_key **sring);
/* A new anonymous session keyring for the calling thread: its serial. */
long join_anon_session(void);
/* KEYCTL_JOIN_SESSION_KEYRING with a name. */
long join_named_session(const char *name);
/* A fresh keyring in *slot (a credentials' field) unless one is there. */
long install_cred_keyring(int32_t *slot, const char *name, uint32_t perm);

/* Searches (keyring_search, search_process_keyrings). */
struct key_search {
	int type;
	const char *desc;
	size_t dlen;
	bool skip_expired; /* request_key: expired keys are passed over */
	bool poss;
	long result;
	int64_t now;
};
long keyring_search(struct key_search *s, struct picos_key *top,
		    struct picos_key **found);
long search_process_keyrings(struct key_search *s, struct picos_key **found);

/* Process life (the callers hold the task lock): a forked child's
 * first thread, a new thread's slot, the caller's keyrings before an
 * execve and what its process keeps after it; the world's first process
 * gets a session keyring as a login does (pam_keyinit). */
void keys_fork(struct picos_task *child);
void keys_thread(struct picos_thread_id *slot);
void keys_exec(const struct picos_keycred *before);
void keys_login(void); /* takes the lock itself */
/* The text of /proc/keys (or, with `users`, /proc/key-users) for the
 * caller, in a new kmalloc'd buffer (takes the lock itself). */
long keys_proc_text(bool users, char **out, size_t *len);
/* After the filesystem uid or gid changed (takes the lock itself). */
void keys_fs_ids_changed(void);

#endif
