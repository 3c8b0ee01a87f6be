/* The world's kernel keys: the model behind add_key, request_key and
 * keyctl (sys_keyctl.c), with Linux's semantics (keyrings(7),
 * security/keys/ of Linux 6.x as the oracle).
 *
 * State lives in the world region (struct picos_keys), so every process
 * of the world sees the same keys; a thread's session, process and thread
 * keyrings are serials in its credentials (struct picos_keycred in its
 * task entry or thread slot).  The world region is shared with other
 * processes of the world, so every offset, length and serial read from it
 * is checked before use: a damaged table gives wrong answers, never a
 * provider fault.
 *
 * Lifetime: Linux counts references; here a key lives while it is
 * reachable from a root (a thread's credentials in a used task or thread
 * slot, the per-user registry) through keyring links, and keys_gc, run
 * at the start of every key call, frees the rest.  So a process that ends
 * in any way (the launcher clears its slots) lets its keyrings go.  Links
 * to invalidated keys go at once, links to revoked and expired ones after
 * the garbage collection delay (/proc/sys/kernel/keys/gc_delay). */
#include "keys.h"
#include "caps.h"
#include "../entry/entry.h"
#include <linux/keyctl.h>
#include <linux/time.h>

#define NCHUNKS (PICOS_KEY_POOL / PICOS_KEY_CHUNK)
#define MAX_DEPTH 6 /* KEYRING_SEARCH_MAX_DEPTH */
#define GID_NONE 0xffffffffu

_Static_assert(PICOS_WORLD_SIZE <= PICOS_HEAP_BASE - PICOS_WORLD_ADDR,
	       "the world region overlaps the provider heap");
_Static_assert((PICOS_MAX_KEYS & (PICOS_MAX_KEYS - 1)) == 0,
	       "serials keep the slot in their low bits");

struct picos_keys *keys_table(void)
{
	return &popts.world->keys;
}
#define KS (keys_table())

int64_t keys_now(void)
{
	struct kts ts = { 0, 0 };
	host_syscall2(__NR_clock_gettime, CLOCK_REALTIME, &ts);
	return ts.sec;
}

struct picos_keycred *keys_cred(void)
{
	struct pico_thread *t = current();
	return t->tid_slot ? &t->tid_slot->keys : &gproc()->task->keys;
}

/* ---- the pool of chunks ------------------------------------------------ */

static uint32_t chunks_for(size_t n)
{
	return (uint32_t)((n + PICOS_KEY_CHUNK - 1) / PICOS_KEY_CHUNK);
}

static bool chunk_used(uint32_t c)
{
	return (KS->chunk_used[c / 64] >> (c % 64)) & 1;
}

static void chunks_mark(uint32_t first, uint32_t n, bool used)
{
	for (uint32_t c = first; c < first + n && c < NCHUNKS; c++) {
		if (used)
			KS->chunk_used[c / 64] |= 1ULL << (c % 64);
		else
			KS->chunk_used[c / 64] &= ~(1ULL << (c % 64));
	}
}

/* Room for n > 0 bytes: its first chunk plus one, or 0 when full. */
static uint32_t blob_alloc(size_t n)
{
	uint32_t need = chunks_for(n), run = 0;
	if (n == 0 || need > NCHUNKS)
		return 0;
	for (uint32_t c = 0; c < NCHUNKS; c++) {
		if (chunk_used(c)) {
			run = 0;
			continue;
		}
		if (++run == need) {
			chunks_mark(c + 1 - need, need, true);
			return c + 2 - need;
		}
	}
	return 0;
}

static void blob_free(uint32_t off, size_t n)
{
	if (off && n && off <= NCHUNKS)
		chunks_mark(off - 1, chunks_for(n), false);
}

/* The bytes of a blob, or NULL when (off, n) does not lie in the pool. */
static unsigned char *blob(uint32_t off, size_t n)
{
	if (off == 0 || off > NCHUNKS)
		return NULL;
	size_t start = (size_t)(off - 1) * PICOS_KEY_CHUNK;
	if (n > PICOS_KEY_POOL - start)
		return NULL;
	return KS->pool + start;
}

/* ---- keys ---------------------------------------------------------------- */

struct picos_key *key_by_serial(int32_t serial)
{
	if (serial <= 0)
		return NULL;
	struct picos_key *k = &KS->key[(uint32_t)serial % PICOS_MAX_KEYS];
	return k->serial == serial ? k : NULL;
}

const char *key_desc(const struct picos_key *k)
{
	const char *d = (const char *)blob(k->desc_off, k->desc_len + 1ULL);
	return d && d[k->desc_len] == '\0' ? d : "";
}

bool key_desc_is(const struct picos_key *k, const char *desc, size_t n)
{
	const char *d = (const char *)blob(k->desc_off, k->desc_len + 1ULL);
	return d && k->desc_len == n && rt_memcmp(d, desc, n) == 0;
}

const char *key_type_name(int type)
{
	return type == KEYT_KEYRING ? "keyring" : "user";
}

int key_type_of(const char *name)
{
	if (rt_strcmp(name, "user") == 0)
		return KEYT_USER;
	if (rt_strcmp(name, "keyring") == 0)
		return KEYT_KEYRING;
	return 0;
}

long key_validate(const struct picos_key *k, int64_t now)
{
	if (k->flags & KEYF_INVALID)
		return -ENOKEY;
	if (k->flags & KEYF_REVOKED)
		return -EKEYREVOKED;
	if (k->expiry && now >= k->expiry)
		return -EKEYEXPIRED;
	return 0;
}

static bool key_dead(const struct picos_key *k, int64_t now)
{
	return (k->flags & KEYF_INVALID) ||
	       ((k->flags & KEYF_REVOKED) && now >= k->revoked_at + KEY_GC_DELAY) ||
	       (k->expiry && now >= k->expiry + KEY_GC_DELAY);
}

static bool in_group(uint32_t gid)
{
	return gid == ident.fsgid || ident_in_groups(gid);
}

/* key_task_permission: the owner's byte for the owner, the group's for a
 * member of the key's group, the other's for everyone else; the
 * possessor's byte adds to it.  No capability overrides it. */
bool key_perm_ok(const struct picos_key *k, bool poss, unsigned need)
{
	uint32_t kperm;
	if (k->uid == ident.fsuid)
		kperm = k->perm >> 16;
	else if (k->gid != GID_NONE && (k->perm & (KP_ALL << 8)) &&
		 in_group(k->gid))
		kperm = k->perm >> 8;
	else
		kperm = k->perm;
	if (poss)
		kperm |= k->perm >> 24;
	return (kperm & need & KP_ALL) == need;
}

static uint64_t rng_next(void)
{
	uint64_t x = KS->rng;
	if (x == 0) {
		host_syscall3(__NR_getrandom, &x, sizeof x, 0);
		x |= 1;
	}
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	KS->rng = x;
	return x;
}

/* Serials look random, as Linux's do, and are never below 3; the low bits
 * are the slot. */
static int32_t new_serial(uint32_t slot)
{
	for (;;) {
		uint32_t hi = (uint32_t)(rng_next() >> 32) & 0x7fffffffu;
		int32_t s = (int32_t)((hi & ~(uint32_t)(PICOS_MAX_KEYS - 1)) | slot);
		if (s >= 3)
			return s;
	}
}

/* What a key costs its owner (Linux's quotalen): its description and NUL,
 * and its data (a payload, or 4 bytes per link of a keyring). */
uint32_t key_quota_bytes(const struct picos_key *k)
{
	return k->desc_len + 1 + k->data_len;
}

static void quota_usage(uint32_t uid, uint32_t *nkeys, uint32_t *bytes)
{
	*nkeys = *bytes = 0;
	for (int i = 0; i < PICOS_MAX_KEYS; i++) {
		const struct picos_key *k = &KS->key[i];
		if (k->serial && k->uid == uid && !(k->flags & KEYF_NO_QUOTA)) {
			(*nkeys)++;
			*bytes += key_quota_bytes(k);
		}
	}
}

/* Linux's defaults: root_maxkeys/root_maxbytes and maxkeys/maxbytes. */
bool quota_allows(uint32_t uid, uint32_t keys, uint32_t bytes)
{
	uint32_t maxkeys = uid == 0 ? 1000000 : 200;
	uint32_t maxbytes = uid == 0 ? 25000000 : 20000;
	uint32_t n, b;
	quota_usage(uid, &n, &b);
	return n + keys <= maxkeys && b + bytes <= maxbytes;
}

long key_new(int type, const char *desc, uint32_t uid, uint32_t gid,
	     uint32_t perm, enum key_quota quota, uint32_t extra,
	     struct picos_key **out)
{
	size_t dlen = rt_strlen(desc);
	if (quota == Q_CHECK &&
	    !quota_allows(uid, 1, (uint32_t)dlen + 1 + extra))
		return -EDQUOT;
	struct picos_key *k = NULL;
	uint32_t slot;
	for (slot = 0; slot < PICOS_MAX_KEYS && !k; slot++)
		if (!KS->key[slot].serial)
			k = &KS->key[slot];
	if (!k)
		return -EDQUOT; /* the world's table is full */
	uint32_t off = blob_alloc(dlen + 1);
	unsigned char *d = blob(off, dlen + 1);
	if (!d)
		return -ENOMEM;
	rt_memcpy(d, desc, dlen + 1);
	rt_memset(k, 0, sizeof *k);
	k->type = (uint8_t)type;
	k->flags = quota == Q_NONE ? KEYF_NO_QUOTA : 0;
	k->uid = uid;
	k->gid = gid;
	k->perm = perm;
	k->desc_off = off;
	k->desc_len = (uint32_t)dlen;
	k->serial = new_serial(slot - 1);
	*out = k;
	return 0;
}

void key_free(struct picos_key *k)
{
	blob_free(k->desc_off, k->desc_len + 1ULL);
	blob_free(k->data_off, k->data_cap);
	rt_memset(k, 0, sizeof *k);
}

const unsigned char *key_payload(const struct picos_key *k)
{
	return k->data_len <= k->data_cap ? blob(k->data_off, k->data_len)
					  : NULL;
}

/* user_update's key_payload_reserve: a bigger payload must fit the
 * owner's quota. */
long key_set_payload(struct picos_key *k, const void *data, size_t n)
{
	if (!(k->flags & KEYF_NO_QUOTA) && n > k->data_len &&
	    !quota_allows(k->uid, 0, (uint32_t)(n - k->data_len)))
		return -EDQUOT;
	uint32_t off = blob_alloc(n);
	unsigned char *p = blob(off, n);
	if (!p)
		return -ENOMEM;
	rt_memcpy(p, data, n);
	blob_free(k->data_off, k->data_cap);
	k->data_off = off;
	k->data_len = k->data_cap = (uint32_t)n;
	return 0;
}

static void key_drop_data(struct picos_key *k)
{
	blob_free(k->data_off, k->data_cap);
	k->data_off = k->data_len = k->data_cap = 0;
}

/* key_revoke: a user key gives its payload (and quota) up, a keyring its
 * links; the key goes from keyrings after the gc delay. */
void key_revoke(struct picos_key *k, int64_t now)
{
	if (k->flags & KEYF_REVOKED)
		return;
	k->flags |= KEYF_REVOKED;
	k->revoked_at = now;
	key_drop_data(k);
}

/* ---- keyrings' links ----------------------------------------------------- */

static int32_t *ring_links(const struct picos_key *r, uint32_t *n)
{
	*n = 0;
	if (r->type != KEYT_KEYRING || r->data_len > r->data_cap || !r->data_len)
		return NULL;
	int32_t *l = (int32_t *)blob(r->data_off, r->data_cap);
	if (l)
		*n = r->data_len / 4;
	return l;
}

uint32_t ring_count(const struct picos_key *r)
{
	uint32_t n;
	ring_links(r, &n);
	return n;
}

int32_t ring_at(const struct picos_key *r, uint32_t i)
{
	uint32_t n;
	int32_t *l = ring_links(r, &n);
	return l && i < n ? l[i] : 0;
}

long ring_find(const struct picos_key *r, int type, const char *desc,
	       size_t dlen)
{
	uint32_t n;
	int32_t *l = ring_links(r, &n);
	for (uint32_t i = 0; i < n; i++) {
		const struct picos_key *k = key_by_serial(l[i]);
		if (k && k->type == type && key_desc_is(k, desc, dlen))
			return i;
	}
	return -1;
}

static long ring_append(struct picos_key *r, int32_t serial)
{
	if (r->data_len + 4 > r->data_cap) {
		uint32_t cap = r->data_cap ? r->data_cap * 2 : PICOS_KEY_CHUNK;
		uint32_t off = blob_alloc(cap);
		unsigned char *p = blob(off, cap);
		if (!p)
			return -ENOMEM;
		const unsigned char *old = blob(r->data_off, r->data_len);
		if (old)
			rt_memcpy(p, old, r->data_len);
		blob_free(r->data_off, r->data_cap);
		r->data_off = off;
		r->data_cap = cap;
	}
	int32_t *l = (int32_t *)blob(r->data_off, r->data_cap);
	if (!l)
		return -ENOMEM;
	l[r->data_len / 4] = serial;
	r->data_len += 4;
	return 0;
}

static void ring_remove_at(struct picos_key *r, uint32_t i)
{
	uint32_t n;
	int32_t *l = ring_links(r, &n);
	if (!l || i >= n)
		return;
	rt_memmove(&l[i], &l[i + 1], (n - i - 1) * sizeof *l);
	r->data_len -= 4;
}

/* check_cycle: linking keyring `key` into `ring` must not make a loop,
 * nor a nest deeper than searches go. */
static long cycle_check(const struct picos_key *ring, const struct picos_key *key,
			int depth)
{
	if (key == ring)
		return -EDEADLK;
	uint32_t n;
	int32_t *l = ring_links(key, &n);
	for (uint32_t i = 0; i < n; i++) {
		const struct picos_key *sub = key_by_serial(l[i]);
		if (!sub || sub->type != KEYT_KEYRING)
			continue;
		if (depth >= MAX_DEPTH)
			return -ELOOP;
		long r = cycle_check(ring, sub, depth + 1);
		if (r)
			return r;
	}
	return 0;
}

/* key_link: a link replaces one to a key of the same type and
 * description; a new link costs the keyring's owner 4 bytes of quota. */
long key_link(struct picos_key *ring, struct picos_key *key)
{
	if (ring->type != KEYT_KEYRING)
		return -ENOTDIR;
	if (ring->flags & KEYF_REVOKED)
		return -EKEYREVOKED;
	long at = ring_find(ring, key->type, key_desc(key), key->desc_len);
	if (at < 0 && !(ring->flags & KEYF_NO_QUOTA) &&
	    !quota_allows(ring->uid, 0, KEY_LINK_BYTES))
		return -EDQUOT;
	if (key->type == KEYT_KEYRING) {
		long r = cycle_check(ring, key, 0);
		if (r)
			return r;
	}
	if (at >= 0) {
		uint32_t n;
		int32_t *l = ring_links(ring, &n);
		l[at] = key->serial;
		return 0;
	}
	return ring_append(ring, key->serial);
}

/* key_unlink removes the link that matches the key's type and
 * description (assoc_array_delete by index key), which may be another key
 * of that name. */
long key_unlink(struct picos_key *ring, struct picos_key *key)
{
	if (ring->type != KEYT_KEYRING)
		return -ENOTDIR;
	long at = ring_find(ring, key->type, key_desc(key), key->desc_len);
	if (at < 0)
		return -ENOENT;
	ring_remove_at(ring, (uint32_t)at);
	return 0;
}

long keyring_clear(struct picos_key *ring)
{
	if (ring->type != KEYT_KEYRING)
		return -ENOTDIR;
	key_drop_data(ring);
	return 0;
}

/* ---- garbage collection -------------------------------------------------- */

static void mark(uint64_t *marks, int32_t *stack, uint32_t *sp, int32_t serial)
{
	struct picos_key *k = key_by_serial(serial);
	if (!k)
		return;
	uint32_t slot = (uint32_t)serial % PICOS_MAX_KEYS;
	if (marks[slot / 64] & (1ULL << (slot % 64)))
		return;
	marks[slot / 64] |= 1ULL << (slot % 64);
	if (*sp < PICOS_MAX_KEYS)
		stack[(*sp)++] = serial;
}

static void mark_cred(uint64_t *marks, int32_t *stack, uint32_t *sp,
		      const struct picos_keycred *c)
{
	mark(marks, stack, sp, c->session);
	mark(marks, stack, sp, c->process);
	mark(marks, stack, sp, c->thread);
}

void keys_gc(int64_t now)
{
	struct picos_world *w = popts.world;
	/* Links to dead or vanished keys go first. */
	for (int i = 0; i < PICOS_MAX_KEYS; i++) {
		struct picos_key *r = &KS->key[i];
		if (!r->serial || r->type != KEYT_KEYRING)
			continue;
		for (uint32_t j = ring_count(r); j-- > 0;) {
			const struct picos_key *k = key_by_serial(ring_at(r, j));
			if (!k || key_dead(k, now))
				ring_remove_at(r, j);
		}
	}
	/* A registry entry gives a dead keyring up (a new one comes on
	 * demand). */
	for (uint32_t u = 0; u < KS->nusers && u < PICOS_KEY_USERS; u++) {
		struct picos_key_user *e = &KS->users[u];
		int32_t *refs[] = { &e->uid_ring, &e->ses_ring, &e->persistent };
		for (int j = 0; j < 3; j++) {
			const struct picos_key *k = key_by_serial(*refs[j]);
			if (!k || key_dead(k, now))
				*refs[j] = 0;
		}
	}
	uint64_t marks[PICOS_MAX_KEYS / 64] = { 0 };
	int32_t stack[PICOS_MAX_KEYS];
	uint32_t sp = 0;
	int ntasks = world_slots(w), ntids = world_tid_slots(w);
	for (int i = 0; i < ntasks && i < PICOS_MAX_TASKS; i++)
		if (w->tasks[i].vpid)
			mark_cred(marks, stack, &sp, &w->tasks[i].keys);
	for (int i = 0; i < ntids && i < PICOS_MAX_THREADS; i++)
		if (w->tids[i].vtid)
			mark_cred(marks, stack, &sp, &w->tids[i].keys);
	for (uint32_t u = 0; u < KS->nusers && u < PICOS_KEY_USERS; u++) {
		mark(marks, stack, &sp, KS->users[u].uid_ring);
		mark(marks, stack, &sp, KS->users[u].ses_ring);
		mark(marks, stack, &sp, KS->users[u].persistent);
	}
	while (sp > 0) {
		const struct picos_key *r = key_by_serial(stack[--sp]);
		uint32_t n = r ? ring_count(r) : 0;
		for (uint32_t j = 0; j < n; j++)
			mark(marks, stack, &sp, ring_at(r, j));
	}
	for (uint32_t i = 0; i < PICOS_MAX_KEYS; i++)
		if (KS->key[i].serial && !(marks[i / 64] & (1ULL << (i % 64))))
			key_free(&KS->key[i]);
}

/* ---- possession and searches --------------------------------------------- */

/* The keyrings a search of "the process keyrings" starts from, in
 * Linux's order: thread, process, then session (or, without one, the
 * user-session keyring if it exists). */
static int cred_roots(struct picos_key **roots)
{
	struct picos_keycred *c = keys_cred();
	int n = 0;
	struct picos_key *k;
	if ((k = key_by_serial(c->thread)))
		roots[n++] = k;
	if ((k = key_by_serial(c->process)))
		roots[n++] = k;
	if ((k = key_by_serial(c->session))) {
		roots[n++] = k;
	} else {
		for (uint32_t u = 0; u < KS->nusers && u < PICOS_KEY_USERS; u++)
			if (KS->users[u].uid == ident.uid &&
			    (k = key_by_serial(KS->users[u].ses_ring)))
				roots[n++] = k;
	}
	return n;
}

static bool reaches(const struct picos_key *ring, const struct picos_key *target,
		    int depth, uint64_t *seen)
{
	uint32_t slot = (uint32_t)ring->serial % PICOS_MAX_KEYS;
	if (seen[slot / 64] & (1ULL << (slot % 64)))
		return false;
	seen[slot / 64] |= 1ULL << (slot % 64);
	if (ring->flags & (KEYF_REVOKED | KEYF_INVALID))
		return false;
	uint32_t n = ring_count(ring);
	for (uint32_t i = 0; i < n; i++)
		if (ring_at(ring, i) == target->serial &&
		    key_perm_ok(target, true, KP_SEARCH))
			return true;
	for (uint32_t i = 0; i < n && depth < MAX_DEPTH; i++) {
		const struct picos_key *sub = key_by_serial(ring_at(ring, i));
		if (sub && sub->type == KEYT_KEYRING &&
		    key_perm_ok(sub, true, KP_SEARCH) &&
		    reaches(sub, target, depth + 1, seen))
			return true;
	}
	return false;
}

/* A key is possessed when a search of the process keyrings finds it:
 * through keyrings that grant the possessor Search, and itself granting
 * Search. */
bool key_possessed(const struct picos_key *k)
{
	struct picos_key *roots[3];
	int n = cred_roots(roots);
	for (int i = 0; i < n; i++) {
		if (!key_perm_ok(roots[i], true, KP_SEARCH))
			continue;
		if (roots[i] == k)
			return true;
		uint64_t seen[PICOS_MAX_KEYS / 64] = { 0 };
		if (reaches(roots[i], k, 0, seen))
			return true;
	}
	return false;
}

static bool search_matches(const struct key_search *s, const struct picos_key *k)
{
	return k->type == s->type && key_desc_is(k, s->desc, s->dlen);
}

/* keyring_search_iterator on a matching key: invalid, revoked, expired
 * and unsearchable keys are passed over, leaving their error. */
static struct picos_key *search_take(struct key_search *s, struct picos_key *k)
{
	if (k->flags & (KEYF_INVALID | KEYF_REVOKED)) {
		s->result = -EKEYREVOKED;
		return NULL;
	}
	if (k->expiry && s->now >= k->expiry) {
		if (!s->skip_expired)
			s->result = -EKEYEXPIRED;
		return NULL;
	}
	if (!key_perm_ok(k, s->poss, KP_SEARCH)) {
		s->result = -EACCES;
		return NULL;
	}
	return k;
}

/* A keyring's own keys first, then the keyrings it holds, depth first. */
static struct picos_key *search_nested(struct key_search *s,
				       struct picos_key *ring, int depth,
				       uint64_t *seen)
{
	uint32_t slot = (uint32_t)ring->serial % PICOS_MAX_KEYS;
	if (seen[slot / 64] & (1ULL << (slot % 64)))
		return NULL;
	seen[slot / 64] |= 1ULL << (slot % 64);
	if (ring->flags & (KEYF_REVOKED | KEYF_INVALID))
		return NULL;
	uint32_t n = ring_count(ring);
	for (uint32_t i = 0; i < n; i++) {
		struct picos_key *k = key_by_serial(ring_at(ring, i));
		if (k && search_matches(s, k)) {
			struct picos_key *f = search_take(s, k);
			if (f)
				return f;
		}
	}
	for (uint32_t i = 0; i < n && depth < MAX_DEPTH; i++) {
		struct picos_key *sub = key_by_serial(ring_at(ring, i));
		if (!sub || sub->type != KEYT_KEYRING ||
		    !key_perm_ok(sub, s->poss, KP_SEARCH))
			continue;
		struct picos_key *f = search_nested(s, sub, depth + 1, seen);
		if (f)
			return f;
	}
	return NULL;
}

/* keyring_search_rcu: -ENOTDIR, -EACCES, the error of a key passed over,
 * -EAGAIN when nothing matched, or 0 with *found. */
long keyring_search(struct key_search *s, struct picos_key *top,
		    struct picos_key **found)
{
	if (top->type != KEYT_KEYRING)
		return -ENOTDIR;
	if (!key_perm_ok(top, s->poss, KP_SEARCH))
		return -EACCES;
	s->result = -EAGAIN;
	*found = NULL;
	if (search_matches(s, top))
		*found = search_take(s, top);
	if (!*found) {
		uint64_t seen[PICOS_MAX_KEYS / 64] = { 0 };
		*found = search_nested(s, top, 0, seen);
	}
	return *found ? 0 : s->result;
}

/* search_cred_keyrings_rcu: the first find wins; otherwise a negative
 * answer (-EAGAIN, -ENOKEY) from any keyring beats another error. */
long search_process_keyrings(struct key_search *s, struct picos_key **found)
{
	struct picos_key *roots[3];
	int n = cred_roots(roots);
	long ret = 0, err = -EAGAIN;
	for (int i = 0; i < n; i++) {
		s->poss = true;
		long r = keyring_search(s, roots[i], found);
		if (r == 0)
			return 0;
		if (r == -EAGAIN) {
			if (!ret)
				ret = r;
		} else if (r == -ENOKEY) {
			ret = r;
		} else {
			err = r;
		}
	}
	return ret ? ret : err;
}

/* ---- special keyrings ---------------------------------------------------- */

long install_cred_keyring(int32_t *slot, const char *name, uint32_t perm)
{
	if (key_by_serial(*slot))
		return 0;
	struct picos_key *k;
	long r = key_new(KEYT_KEYRING, name, ident.uid, ident.gid, perm,
			 Q_OVERRUN, 0, &k);
	if (r == 0)
		*slot = k->serial;
	return r;
}

static struct picos_key_user *user_entry(uint32_t uid, bool create)
{
	uint32_t n = RT_MIN(KS->nusers, (uint32_t)PICOS_KEY_USERS);
	for (uint32_t i = 0; i < n; i++)
		if (KS->users[i].uid == uid)
			return &KS->users[i];
	if (!create || n == PICOS_KEY_USERS)
		return NULL;
	struct picos_key_user *e = &KS->users[n];
	rt_memset(e, 0, sizeof *e);
	e->uid = uid;
	KS->nusers = n + 1;
	return e;
}

/* One of a uid's registered keyrings ("_uid.N", "_uid_ses.N"), made on
 * demand as look_up_user_keyrings makes them. */
static long user_ring(uint32_t uid, int32_t *slot, const char *fmt,
		      struct picos_key **out)
{
	if ((*out = key_by_serial(*slot)))
		return 0;
	char name[32];
	rt_snprintf(name, sizeof name, fmt, uid);
	uint32_t perm = ((KP_ALL & ~KP_SETATTR) << 24) | (KP_ALL << 16);
	long r = key_new(KEYT_KEYRING, name, uid, GID_NONE, perm, Q_CHECK, 0,
			 out);
	if (r < 0)
		return r;
	(*out)->flags |= KEYF_UID_RING;
	*slot = (*out)->serial;
	return 1;
}

long user_keyrings(struct picos_key **uring, struct picos_key **sring)
{
	struct picos_key_user *e = user_entry(ident.uid, true);
	if (!e)
		return -ENOMEM;
	struct picos_key *u, *s;
	long r = user_ring(ident.uid, &e->uid_ring, "_uid.%u", &u);
	if (r < 0)
		return r;
	r = user_ring(ident.uid, &e->ses_ring, "_uid_ses.%u", &s);
	if (r < 0)
		return r;
	if (r == 1) { /* a new user-session keyring holds the user keyring */
		r = key_link(s, u);
		if (r < 0)
			return r;
	}
	if (uring)
		*uring = u;
	if (sring)
		*sring = s;
	return 0;
}

/* The user-session keyring of the real uid if it exists (no creation). */
static struct picos_key *user_session_ring(void)
{
	struct picos_key_user *e = user_entry(ident.uid, false);
	return e ? key_by_serial(e->ses_ring) : NULL;
}

long join_anon_session(void)
{
	struct picos_keycred *c = keys_cred();
	enum key_quota q = key_by_serial(c->session) ? Q_CHECK : Q_OVERRUN;
	struct picos_key *k;
	uint32_t perm = (KP_ALL << 24) | ((KP_VIEW | KP_READ) << 16);
	long r = key_new(KEYT_KEYRING, "_ses", ident.uid, ident.gid, perm, q, 0,
			 &k);
	if (r < 0)
		return r;
	c->session = k->serial;
	return k->serial;
}

/* find_keyring_by_name: a keyring of that name that grants the caller
 * Search without possession, not revoked, not a user keyring. */
long join_named_session(const char *name)
{
	struct picos_keycred *c = keys_cred();
	size_t n = rt_strlen(name);
	struct picos_key *found = NULL;
	for (int i = 0; i < PICOS_MAX_KEYS && !found; i++) {
		struct picos_key *k = &KS->key[i];
		if (k->serial && k->type == KEYT_KEYRING &&
		    !(k->flags & (KEYF_REVOKED | KEYF_UID_RING)) &&
		    key_desc_is(k, name, n) && key_perm_ok(k, false, KP_SEARCH))
			found = k;
	}
	if (!found) {
		uint32_t perm = (KP_ALL << 24) |
				((KP_VIEW | KP_READ | KP_LINK) << 16);
		long r = key_new(KEYT_KEYRING, name, ident.uid, ident.gid, perm,
				 Q_CHECK, 0, &found);
		if (r < 0)
			return r;
	} else if (found->serial == c->session) {
		return 0;
	}
	c->session = found->serial;
	return found->serial;
}

/* ---- lookup_user_key ----------------------------------------------------- */

static long special_keyring(int32_t id, unsigned lflags, struct picos_key **out)
{
	struct picos_keycred *c = keys_cred();
	uint32_t own = (KP_ALL << 24) | (KP_VIEW << 16);
	struct picos_key *u, *s;
	long r;
	switch (id) {
	case KEY_SPEC_THREAD_KEYRING:
	case KEY_SPEC_PROCESS_KEYRING: {
		int32_t *slot = id == KEY_SPEC_THREAD_KEYRING ? &c->thread
							      : &c->process;
		if (!key_by_serial(*slot)) {
			if (!(lflags & LK_CREATE))
				return -ENOKEY;
			r = install_cred_keyring(slot, id == KEY_SPEC_THREAD_KEYRING
							       ? "_tid" : "_pid",
						 own);
			if (r < 0)
				return r;
		}
		*out = key_by_serial(*slot);
		return 0;
	}
	case KEY_SPEC_SESSION_KEYRING:
		if (!key_by_serial(c->session)) {
			/* Without one, a session keyring comes on access: a new
			 * one when asked to create, else the user-session
			 * keyring. */
			if ((r = user_keyrings(NULL, &s)) < 0)
				return r;
			if (lflags & LK_CREATE) {
				if ((r = join_anon_session()) < 0)
					return r;
			} else {
				c->session = s->serial;
			}
		} else if ((lflags & LK_CREATE) &&
			   (s = user_session_ring()) && s->serial == c->session) {
			if ((r = join_anon_session()) < 0)
				return r;
		}
		*out = key_by_serial(c->session);
		return 0;
	case KEY_SPEC_USER_KEYRING:
	case KEY_SPEC_USER_SESSION_KEYRING:
		if ((r = user_keyrings(&u, &s)) < 0)
			return r;
		*out = id == KEY_SPEC_USER_KEYRING ? u : s;
		return 0;
	case KEY_SPEC_REQKEY_AUTH_KEY:
	case KEY_SPEC_REQUESTOR_KEYRING:
		return -ENOKEY; /* no request_key upcalls: never an authority */
	default:
		return -EINVAL; /* KEY_SPEC_GROUP_KEYRING and beyond */
	}
}

long lookup_key(int32_t id, unsigned lflags, unsigned need, struct kref *out)
{
	if (id < 0) {
		long r = special_keyring(id, lflags, &out->k);
		if (r < 0)
			return r;
		out->poss = true;
	} else {
		if (id == 0)
			return -EINVAL;
		out->k = key_by_serial(id);
		if (!out->k)
			return -ENOKEY;
		out->poss = key_possessed(out->k);
	}
	if (need & (NEED_UNLINK | NEED_DEFER))
		return 0;
	long r = key_validate(out->k, keys_now());
	if (r < 0)
		return r;
	if (need && !key_perm_ok(out->k, out->poss, need))
		return -EACCES;
	return 0;
}

/* ---- /proc/keys and /proc/key-users --------------------------------------- */

/* References to each key (Linux's usage count): links, credentials and
 * the registry. */
static void count_refs(uint16_t *refs)
{
	struct picos_world *w = popts.world;
#define REF(s)                                                                 \
	do {                                                                   \
		if (key_by_serial(s))                                          \
			refs[(uint32_t)(s) % PICOS_MAX_KEYS]++;                \
	} while (0)
	for (int i = 0; i < PICOS_MAX_KEYS; i++)
		for (uint32_t j = 0; j < ring_count(&KS->key[i]); j++)
			REF(ring_at(&KS->key[i], j));
	for (int i = 0; i < world_slots(w) && i < PICOS_MAX_TASKS; i++)
		if (w->tasks[i].vpid) {
			REF(w->tasks[i].keys.session);
			REF(w->tasks[i].keys.process);
			REF(w->tasks[i].keys.thread);
		}
	for (int i = 0; i < world_tid_slots(w) && i < PICOS_MAX_THREADS; i++)
		if (w->tids[i].vtid) {
			REF(w->tids[i].keys.session);
			REF(w->tids[i].keys.process);
			REF(w->tids[i].keys.thread);
		}
	for (uint32_t u = 0; u < KS->nusers && u < PICOS_KEY_USERS; u++) {
		REF(KS->users[u].uid_ring);
		REF(KS->users[u].ses_ring);
		REF(KS->users[u].persistent);
	}
#undef REF
}

/* proc_keys_show's timeout column. */
static void expiry_text(const struct picos_key *k, int64_t now, char *x)
{
	int64_t t = k->expiry - now;
	if (!k->expiry)
		rt_strlcpy(x, "perm", 8);
	else if (t <= 0)
		rt_strlcpy(x, "expd", 8);
	else if (t < 60)
		rt_snprintf(x, 8, "%lds", (long)t);
	else if (t < 3600)
		rt_snprintf(x, 8, "%ldm", (long)(t / 60));
	else if (t < 86400)
		rt_snprintf(x, 8, "%ldh", (long)(t / 3600));
	else if (t < 7 * 86400)
		rt_snprintf(x, 8, "%ldd", (long)(t / 86400));
	else
		rt_snprintf(x, 8, "%ldw", (long)(t / (7 * 86400)));
}

/* One line of /proc/keys: keys the caller may view, possessed ones with
 * the possessor's View. */
static void proc_key_line(struct rt_buf *b, const struct picos_key *k,
			  uint16_t refs, int64_t now)
{
	bool poss = (k->perm & (KP_VIEW << 24)) && key_possessed(k);
	if (!key_perm_ok(k, poss, KP_VIEW))
		return;
	char x[8];
	expiry_text(k, now, x);
	uint32_t gid = k->gid == GID_NONE ? 65534 : k->gid;
	rt_buf_printf(b, "%08x I%c-%c--%c %5d %4s %08x %5d %5d %-9.9s %s",
		      (unsigned)k->serial, (k->flags & KEYF_REVOKED) ? 'R' : '-',
		      (k->flags & KEYF_NO_QUOTA) ? '-' : 'Q',
		      (k->flags & KEYF_INVALID) ? 'i' : '-', refs, x, k->perm,
		      (int)k->uid, (int)gid, key_type_name(k->type), key_desc(k));
	if (k->type == KEYT_USER)
		rt_buf_printf(b, ": %u\n", k->data_len);
	else if (ring_count(k))
		rt_buf_printf(b, ": %u\n", ring_count(k));
	else
		rt_buf_printf(b, ": empty\n");
}

/* proc_key_users_show: each user's keys against its quota, by uid. */
static void proc_user_lines(struct rt_buf *b, const uint16_t *refs)
{
	int64_t last = -1;
	for (;;) {
		int64_t uid = -1;
		for (int i = 0; i < PICOS_MAX_KEYS; i++) {
			const struct picos_key *k = &KS->key[i];
			if (k->serial && k->uid > last && (uid < 0 || k->uid < uid))
				uid = k->uid;
		}
		if (uid < 0)
			return;
		uint32_t n = 0, nq, bytes, usage = 0;
		for (int i = 0; i < PICOS_MAX_KEYS; i++)
			if (KS->key[i].serial && KS->key[i].uid == uid) {
				n++;
				usage += refs[i];
			}
		quota_usage((uint32_t)uid, &nq, &bytes);
		rt_buf_printf(b, "%5u: %5u %u/%u %u/%u %u/%u\n", (uint32_t)uid,
			      usage, n, n, nq, uid == 0 ? 1000000 : 200, bytes,
			      uid == 0 ? 25000000 : 20000);
		last = uid;
	}
}

long keys_proc_text(bool users, char **out, size_t *len)
{
	task_lock();
	int64_t now = keys_now();
	keys_gc(now);
	size_t cap = 4096;
	for (int i = 0; i < PICOS_MAX_KEYS; i++)
		if (KS->key[i].serial)
			cap += 128 + KS->key[i].desc_len;
	char *text = kmalloc(cap);
	uint16_t *refs = kzalloc(PICOS_MAX_KEYS * sizeof *refs);
	if (!text || !refs) {
		task_unlock();
		kfree(text);
		kfree(refs);
		return -ENOMEM;
	}
	count_refs(refs);
	struct rt_buf b;
	rt_buf_init(&b, text, cap);
	if (users) {
		proc_user_lines(&b, refs);
	} else {
		/* In serial order, as Linux's tree of keys lists them. */
		int32_t last = 0;
		for (;;) {
			const struct picos_key *next = NULL;
			for (int i = 0; i < PICOS_MAX_KEYS; i++) {
				const struct picos_key *k = &KS->key[i];
				if (k->serial > last &&
				    (!next || k->serial < next->serial))
					next = k;
			}
			if (!next)
				break;
			proc_key_line(&b, next,
				      refs[(uint32_t)next->serial % PICOS_MAX_KEYS],
				      now);
			last = next->serial;
		}
	}
	task_unlock();
	kfree(refs);
	*out = text;
	*len = b.len;
	return 0;
}

/* ---- process life -------------------------------------------------------- */

void keys_fork(struct picos_task *child)
{
	const struct picos_keycred *c = keys_cred();
	rt_memset(&child->keys, 0, sizeof child->keys);
	child->keys.session = c->session;
	child->keys.reqkey_defl = c->reqkey_defl;
}

/* copy_creds with CLONE_THREAD: the process and session keyrings are
 * shared; a thread whose creator has a thread keyring gets a new one. */
void keys_thread(struct picos_thread_id *slot)
{
	const struct picos_keycred *c = keys_cred();
	slot->keys = *c;
	slot->keys.thread = 0;
	if (key_by_serial(c->thread))
		install_cred_keyring(&slot->keys.thread, "_tid",
				     (KP_ALL << 24) | (KP_VIEW << 16));
}

static void follow_fs_ids(int32_t serial)
{
	struct picos_key *k = key_by_serial(serial);
	if (k) {
		k->uid = ident.fsuid;
		k->gid = ident.fsgid;
	}
}

/* commit_creds' key_fsuid_changed and key_fsgid_changed: a thread keyring
 * belongs to its thread's filesystem ids.  Identity is the process's in
 * picos, so every thread's follows. */
void keys_fs_ids_changed(void)
{
	struct picos_world *w = popts.world;
	task_lock();
	follow_fs_ids(gproc()->task->keys.thread);
	for (int i = 0; i < world_tid_slots(w) && i < PICOS_MAX_THREADS; i++)
		if (w->tids[i].vtid && w->tids[i].tgid == gproc()->pid)
			follow_fs_ids(w->tids[i].keys.thread);
	task_unlock();
}

/* prepare_exec_creds: no thread keyring, no process keyring. */
void keys_exec(const struct picos_keycred *before)
{
	task_lock();
	struct picos_keycred *c = keys_cred();
	c->session = before->session;
	c->reqkey_defl = before->reqkey_defl;
	c->process = c->thread = 0;
	task_unlock();
}

/* What pam_keyinit gives a login: a new anonymous session keyring with
 * the user keyring linked into it. */
void keys_login(void)
{
	task_lock();
	struct picos_key *u;
	if (join_anon_session() > 0 && user_keyrings(&u, NULL) == 0)
		key_link(key_by_serial(keys_cred()->session), u);
	task_unlock();
}
