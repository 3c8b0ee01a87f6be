/* add_key, request_key and keyctl on the world's keys (keys.c).
 *
 * Each call copies its guest arguments in first, then works on the table
 * under the world's lock (after a garbage collection), and copies its
 * answer out after the lock is gone.  Checks come in the order of Linux's
 * security/keys/keyctl.c, so a call with several faults fails as Linux
 * fails it.  The key types are "user" and "keyring"; other type names
 * are unknown (add_key: ENODEV, the searches: ENOKEY).  There are no
 * request_key upcalls (/sbin/request-key): a search that finds nothing
 * answers ENOKEY, with or without callout information. */
#include "keys.h"
#include "caps.h"
#include "../entry/entry.h"
#include "../syscalls.h"
#include <linux/keyctl.h>

#define KEY_PAYLOAD_MAX (1024 * 1024 - 1) /* add_key's and instantiate's */

static int64_t keys_begin(void)
{
	task_lock();
	int64_t now = keys_now();
	keys_gc(now);
	return now;
}

static long keys_end(long r)
{
	task_unlock();
	return r;
}

/* key_get_type_from_user */
static long type_in(char type[32], const char *utype)
{
	long n = strncpy_from_user(type, utype, 32);
	if (n == -EFAULT)
		return -EFAULT;
	if (n <= 0)
		return -EINVAL; /* empty, or no NUL within 32 bytes */
	if (type[0] == '.')
		return -EPERM;
	return 0;
}

/* strndup_user(s, KEY_DESC_MAX) into a new buffer: -EFAULT, -EINVAL when
 * longer, -ENOMEM. */
static long str_in(char **out, const char *ustr)
{
	char *s = kmalloc(KEY_DESC_MAX);
	if (!s)
		return -ENOMEM;
	long n = strncpy_from_user(s, ustr, KEY_DESC_MAX);
	if (n < 0) {
		kfree(s);
		return n == -ENAMETOOLONG ? -EINVAL : n;
	}
	*out = s;
	return n;
}

/* A payload of n bytes from the guest (NULL for none). */
static long payload_in(void **out, const void *upayload, size_t n)
{
	*out = NULL;
	if (!n)
		return 0;
	void *p = kmalloc(n);
	if (!p)
		return -ENOMEM;
	if (copy_from_user(p, upayload, n) < 0) {
		kfree(p);
		return -EFAULT;
	}
	*out = p;
	return 0;
}

static const uint32_t default_perm = (KP_ALL << 24) | (KP_VIEW << 16);

/* __key_create_or_update on a looked-up keyring. */
static long create_or_update(struct kref *ring, int type, const char *desc,
			     const void *payload, size_t plen)
{
	if (ring->k->type != KEYT_KEYRING)
		return -ENOTDIR;
	if (type == KEYT_USER && (plen == 0 || plen > KEY_USER_DATA_MAX))
		return -EINVAL;
	if (type == KEYT_KEYRING && plen != 0)
		return -EINVAL;
	if (!desc)
		return -EINVAL;
	size_t dlen = rt_strlen(desc);
	long at = ring_find(ring->k, type, desc, dlen);
	bool charge_link = at < 0 && !(ring->k->flags & KEYF_NO_QUOTA);
	if (charge_link && !quota_allows(ring->k->uid, 0, KEY_LINK_BYTES))
		return -EDQUOT;
	if (type == KEYT_USER && at >= 0) {
		/* A key of this type and description in the keyring is
		 * updated instead, unless revoked or invalidated. */
		struct picos_key *old = key_by_serial(ring_at(ring->k, (uint32_t)at));
		if (old && !(old->flags & (KEYF_REVOKED | KEYF_INVALID))) {
			if (!key_perm_ok(old, ring->poss, KP_WRITE))
				return -EACCES;
			long r = key_set_payload(old, payload, plen);
			if (r < 0)
				return r;
			old->expiry = 0;
			return old->serial;
		}
	}
	uint32_t extra = (uint32_t)plen +
			 (charge_link && ring->k->uid == ident.fsuid ? KEY_LINK_BYTES : 0);
	struct picos_key *k;
	long r = key_new(type, desc, ident.fsuid, ident.fsgid, default_perm,
			 Q_CHECK, extra, &k);
	if (r < 0)
		return r;
	if (type == KEYT_USER)
		r = key_set_payload(k, payload, plen);
	if (r == 0)
		r = key_link(ring->k, k);
	if (r < 0) {
		key_free(k);
		return r;
	}
	return k->serial;
}

long sys_add_key(const char *utype, const char *udesc, const void *upayload,
		 size_t plen, int ringid)
{
	if (plen > KEY_PAYLOAD_MAX)
		return -EINVAL;
	char type[32];
	long r = type_in(type, utype);
	if (r < 0)
		return r;
	char *desc = NULL;
	if (udesc) {
		if ((r = str_in(&desc, udesc)) < 0)
			return r;
		if (!desc[0]) {
			kfree(desc);
			desc = NULL;
		} else if (desc[0] == '.' && rt_strncmp(type, "keyring", 7) == 0) {
			kfree(desc);
			return -EPERM;
		}
	}
	void *payload;
	if ((r = payload_in(&payload, upayload, plen)) < 0) {
		kfree(desc);
		return r;
	}
	keys_begin();
	struct kref ring;
	r = lookup_key(ringid, LK_CREATE, KP_WRITE, &ring);
	if (r == 0) {
		int t = key_type_of(type);
		r = t ? create_or_update(&ring, t, desc, payload, plen) : -ENODEV;
	}
	keys_end(0);
	kfree(payload);
	kfree(desc);
	return r;
}

long sys_request_key(const char *utype, const char *udesc,
		     const char *ucallout, int destringid)
{
	char type[32];
	long r = type_in(type, utype);
	if (r < 0)
		return r;
	char *desc, *callout = NULL;
	if ((r = str_in(&desc, udesc)) < 0)
		return r;
	if (ucallout && (r = str_in(&callout, ucallout)) < 0) {
		kfree(desc);
		return r;
	}
	int64_t now = keys_begin();
	struct kref dest = { 0 };
	r = 0;
	if (destringid)
		r = lookup_key(destringid, LK_CREATE, KP_WRITE, &dest);
	int t = key_type_of(type);
	if (r == 0 && !t)
		r = -ENOKEY;
	if (r == 0) {
		struct key_search s = { .type = t, .desc = desc,
					.dlen = rt_strlen(desc),
					.skip_expired = true, .now = now };
		struct picos_key *found;
		r = search_process_keyrings(&s, &found);
		if (r == 0) {
			if (dest.k && !key_perm_ok(found, true, KP_LINK))
				r = -EACCES;
			else if (dest.k)
				r = key_link(dest.k, found);
			if (r == 0)
				r = found->serial;
		} else if (r == -EAGAIN) {
			/* Nothing found: Linux would ask /sbin/request-key
			 * given callout information; picos has no upcall. */
			r = callout && t == KEYT_KEYRING ? -EPERM : -ENOKEY;
		}
	}
	keys_end(0);
	kfree(callout);
	kfree(desc);
	return r;
}

/* ---- keyctl operations ---------------------------------------------------- */

static long kc_get_keyring_id(int32_t id, int create)
{
	keys_begin();
	struct kref k;
	long r = lookup_key(id, create ? LK_CREATE : 0, KP_SEARCH, &k);
	return keys_end(r < 0 ? r : k.k->serial);
}

static long kc_join_session(const char *uname)
{
	char *name = NULL;
	long r;
	if (uname) {
		if ((r = str_in(&name, uname)) < 0)
			return r;
		if (name[0] == '.') {
			kfree(name);
			return -EPERM;
		}
	}
	keys_begin();
	r = name ? join_named_session(name) : join_anon_session();
	keys_end(0);
	kfree(name);
	return r;
}

static long kc_update(int32_t id, const void *upayload, size_t plen)
{
	if (plen > 4096)
		return -EINVAL;
	void *payload;
	long r = payload_in(&payload, upayload, plen);
	if (r < 0)
		return r;
	keys_begin();
	struct kref k;
	r = lookup_key(id, 0, KP_WRITE, &k);
	if (r == 0 && k.k->type != KEYT_USER)
		r = -EOPNOTSUPP; /* a keyring cannot be updated */
	else if (r == 0 && (plen == 0 || plen > KEY_USER_DATA_MAX))
		r = -EINVAL;
	else if (r == 0 && (r = key_set_payload(k.k, payload, plen)) == 0)
		k.k->expiry = 0; /* user_update: the new payload never expires */
	keys_end(0);
	kfree(payload);
	return r;
}

static long kc_revoke(int32_t id)
{
	int64_t now = keys_begin();
	struct kref k;
	long r = lookup_key(id, 0, KP_WRITE, &k);
	if (r == -EACCES)
		r = lookup_key(id, 0, KP_SETATTR, &k);
	if (r == 0)
		key_revoke(k.k, now);
	return keys_end(r);
}

static long kc_chown(int32_t id, uint32_t uid, uint32_t gid)
{
	if (uid == (uint32_t)-1 && gid == (uint32_t)-1)
		return 0;
	keys_begin();
	struct kref k;
	long r = lookup_key(id, LK_CREATE | LK_PARTIAL, KP_SETATTR, &k);
	if (r < 0)
		return keys_end(r);
	/* Only CAP_SYS_ADMIN gives a key away, or to a group the caller is
	 * not in. */
	bool privileged = (uid != (uint32_t)-1 && uid != k.k->uid) ||
			  (gid != (uint32_t)-1 && gid != k.k->gid &&
			   gid != ident.fsgid && !ident_in_groups(gid));
	if (privileged && !capable(CAP_SYS_ADMIN))
		return keys_end(-EACCES);
	if (uid != (uint32_t)-1 && uid != k.k->uid) {
		/* The new owner takes the key's quota over. */
		if (!(k.k->flags & KEYF_NO_QUOTA) &&
		    !quota_allows(uid, 1, key_quota_bytes(k.k)))
			return keys_end(-EDQUOT);
		k.k->uid = uid;
	}
	if (gid != (uint32_t)-1)
		k.k->gid = gid;
	return keys_end(0);
}

static long kc_setperm(int32_t id, uint32_t perm)
{
	if (perm & ~0x3f3f3f3fu)
		return -EINVAL;
	keys_begin();
	struct kref k;
	long r = lookup_key(id, LK_CREATE | LK_PARTIAL, KP_SETATTR, &k);
	if (r < 0)
		return keys_end(r);
	if (k.k->uid != ident.fsuid && !capable(CAP_SYS_ADMIN))
		return keys_end(-EACCES);
	k.k->perm = perm;
	return keys_end(0);
}

/* Copies `len` bytes of `buf` out when the guest's buffer holds them all
 * (the keyctl size protocol); returns `len` or -EFAULT. */
static long size_out(void *ubuf, size_t buflen, const void *buf, size_t len)
{
	if (ubuf && buflen >= len && len && copy_to_user(ubuf, buf, len) < 0)
		return -EFAULT;
	return (long)len;
}

static long kc_describe(int32_t id, char *ubuf, size_t buflen)
{
	keys_begin();
	struct kref k;
	long r = lookup_key(id, LK_PARTIAL, KP_VIEW, &k);
	if (r < 0)
		return keys_end(r);
	size_t max = 64 + KEY_DESC_MAX;
	char *info = kmalloc(max);
	if (!info)
		return keys_end(-ENOMEM);
	/* The gid of a user keyring is INVALID_GID, shown as the overflow
	 * gid (from_kgid_munged). */
	uint32_t gid = k.k->gid == 0xffffffffu ? 65534 : k.k->gid;
	int n = rt_snprintf(info, max, "%s;%d;%d;%08x;%s",
			    key_type_name(k.k->type), (int)k.k->uid, (int)gid,
			    k.k->perm, key_desc(k.k));
	keys_end(0);
	r = size_out(ubuf, buflen, info, (size_t)n + 1);
	kfree(info);
	return r;
}

static long kc_clear(int32_t id)
{
	keys_begin();
	struct kref k;
	long r = lookup_key(id, LK_CREATE, KP_WRITE, &k);
	if (r == 0)
		r = keyring_clear(k.k);
	return keys_end(r);
}

static long kc_link(int32_t id, int32_t ringid)
{
	keys_begin();
	struct kref ring, k;
	long r = lookup_key(ringid, LK_CREATE, KP_WRITE, &ring);
	if (r == 0)
		r = lookup_key(id, LK_CREATE, KP_LINK, &k);
	if (r == 0)
		r = key_link(ring.k, k.k);
	return keys_end(r);
}

static long kc_unlink(int32_t id, int32_t ringid)
{
	keys_begin();
	struct kref ring, k;
	long r = lookup_key(ringid, 0, KP_WRITE, &ring);
	if (r == 0)
		r = lookup_key(id, LK_PARTIAL, NEED_UNLINK, &k);
	if (r == 0)
		r = key_unlink(ring.k, k.k);
	return keys_end(r);
}

/* KEYCTL_MOVE: a link moved from one keyring to another. */
static long kc_move(int32_t id, int32_t from_id, int32_t to_id, unsigned flags)
{
	if (flags & ~KEYCTL_MOVE_EXCL)
		return -EINVAL;
	keys_begin();
	struct kref k, from, to;
	long r = lookup_key(id, LK_CREATE, KP_LINK, &k);
	if (r == 0)
		r = lookup_key(from_id, 0, KP_WRITE, &from);
	if (r == 0)
		r = lookup_key(to_id, LK_CREATE, KP_WRITE, &to);
	if (r < 0 || from.k == to.k)
		return keys_end(r);
	if (from.k->type != KEYT_KEYRING || to.k->type != KEYT_KEYRING)
		return keys_end(-ENOTDIR);
	bool linked = false;
	for (uint32_t i = 0; i < ring_count(from.k) && !linked; i++)
		linked = ring_at(from.k, i) == k.k->serial;
	if (!linked)
		return keys_end(-ENOENT);
	if ((flags & KEYCTL_MOVE_EXCL) &&
	    ring_find(to.k, k.k->type, key_desc(k.k), k.k->desc_len) >= 0)
		return keys_end(-EEXIST);
	r = key_link(to.k, k.k);
	if (r == 0)
		key_unlink(from.k, k.k);
	return keys_end(r);
}

static long kc_search(int32_t ringid, const char *utype, const char *udesc,
		      int32_t destid)
{
	char type[32];
	long r = type_in(type, utype);
	if (r < 0)
		return r;
	char *desc;
	if ((r = str_in(&desc, udesc)) < 0)
		return r;
	int64_t now = keys_begin();
	struct kref ring, dest = { 0 };
	r = lookup_key(ringid, 0, KP_SEARCH, &ring);
	if (r == 0 && destid)
		r = lookup_key(destid, LK_CREATE, KP_WRITE, &dest);
	int t = key_type_of(type);
	if (r == 0 && !t)
		r = -ENOKEY;
	if (r == 0) {
		struct key_search s = { .type = t, .desc = desc,
					.dlen = rt_strlen(desc),
					.poss = ring.poss, .now = now };
		struct picos_key *found;
		r = keyring_search(&s, ring.k, &found);
		if (r == -EAGAIN)
			r = -ENOKEY;
		if (r == 0 && dest.k) {
			if (!key_perm_ok(found, ring.poss, KP_LINK))
				r = -EACCES;
			else
				r = key_link(dest.k, found);
		}
		if (r == 0)
			r = found->serial;
	}
	keys_end(0);
	kfree(desc);
	return r;
}

static long kc_read(int32_t id, char *ubuf, size_t buflen)
{
	int64_t now = keys_begin();
	struct kref k;
	if (lookup_key(id, 0, NEED_DEFER, &k) < 0)
		return keys_end(-ENOKEY);
	/* Read permission, or possession (found from the process keyrings
	 * with Search granted). */
	if (!key_perm_ok(k.k, k.poss, KP_READ) && !k.poss)
		return keys_end(-EACCES);
	long r = key_validate(k.k, now);
	if (r < 0)
		return keys_end(r);
	bool ring = k.k->type == KEYT_KEYRING;
	if (ring && ubuf && buflen && buflen <= 4096 && (buflen & 3))
		return keys_end(-EINVAL);
	size_t len = ring ? ring_count(k.k) * 4 : k.k->data_len;
	void *data = len ? kmalloc(len) : NULL;
	if (len && !data)
		return keys_end(-ENOMEM);
	if (ring) {
		for (uint32_t i = 0; i < len / 4; i++)
			((int32_t *)data)[i] = ring_at(k.k, i);
	} else if (len) {
		const unsigned char *p = key_payload(k.k);
		if (p)
			rt_memcpy(data, p, len);
		else
			rt_memset(data, 0, len);
	}
	keys_end(0);
	r = size_out(ubuf, buflen, data, len);
	kfree(data);
	return r;
}

static long kc_set_reqkey_keyring(int defl)
{
	keys_begin();
	struct picos_keycred *c = keys_cred();
	long old = c->reqkey_defl, r = 0;
	uint32_t own = (KP_ALL << 24) | (KP_VIEW << 16);
	switch (defl) {
	case KEY_REQKEY_DEFL_NO_CHANGE:
		return keys_end(old);
	case KEY_REQKEY_DEFL_THREAD_KEYRING:
		r = install_cred_keyring(&c->thread, "_tid", own);
		break;
	case KEY_REQKEY_DEFL_PROCESS_KEYRING:
		r = install_cred_keyring(&c->process, "_pid", own);
		break;
	case KEY_REQKEY_DEFL_DEFAULT:
	case KEY_REQKEY_DEFL_SESSION_KEYRING:
	case KEY_REQKEY_DEFL_USER_KEYRING:
	case KEY_REQKEY_DEFL_USER_SESSION_KEYRING:
	case KEY_REQKEY_DEFL_REQUESTOR_KEYRING:
		break;
	default:
		r = -EINVAL;
	}
	if (r == 0)
		c->reqkey_defl = defl;
	return keys_end(r < 0 ? r : old);
}

static long kc_set_timeout(int32_t id, unsigned timeout)
{
	int64_t now = keys_begin();
	struct kref k;
	long r = lookup_key(id, LK_CREATE | LK_PARTIAL, KP_SETATTR, &k);
	if (r == 0)
		k.k->expiry = timeout ? now + timeout : 0;
	return keys_end(r);
}

static long kc_get_security(int32_t id, char *ubuf, size_t buflen)
{
	keys_begin();
	struct kref k;
	long r = lookup_key(id, LK_PARTIAL, KP_VIEW, &k);
	keys_end(0);
	if (r == -EACCES)
		return -ENOKEY; /* nor an instantiation authority for it */
	if (r < 0)
		return r;
	/* No security module labels keys: an empty string. */
	if (ubuf && buflen > 0 && copy_to_user(ubuf, "", 1) < 0)
		return -EFAULT;
	return 1;
}

static int thread_count(int pid)
{
	struct picos_world *w = popts.world;
	int n = 1;
	for (int i = 0; i < world_tid_slots(w); i++)
		if (w->tids[i].vtid && w->tids[i].tgid == pid)
			n++;
	return n;
}

/* KEYCTL_SESSION_TO_PARENT: the parent (single-threaded, not init, with
 * the caller's effective ids as all of its ids) gets the caller's session
 * keyring.  Linux installs it as the parent next returns to user space;
 * here the parent's credentials change at once. */
static long kc_session_to_parent(void)
{
	keys_begin();
	struct kref k;
	long r = lookup_key(KEY_SPEC_SESSION_KEYRING, 0, KP_LINK, &k);
	if (r < 0)
		return keys_end(r);
	struct picos_task *p = task_by_vpid(gproc()->task->ppid);
	if (!p || p->vpid <= 1 || p->state != TASK_LIVE ||
	    thread_count(p->vpid) != 1)
		return keys_end(-EPERM);
	if (p->keys.session == k.k->serial)
		return keys_end(0);
	uint32_t eu = ident.euid, eg = ident.egid;
	if (p->uid != eu || p->euid != eu || p->suid != eu || p->gid != eg ||
	    p->egid != eg || p->sgid != eg)
		return keys_end(-EPERM);
	struct picos_key *ps = key_by_serial(p->keys.session);
	if ((ps && ps->uid != eu) || k.k->uid != eu)
		return keys_end(-EPERM);
	p->keys.session = k.k->serial;
	return keys_end(0);
}

static long kc_invalidate(int32_t id)
{
	keys_begin();
	struct kref k;
	long r = lookup_key(id, 0, KP_SEARCH, &k);
	if (r == 0)
		k.k->flags |= KEYF_INVALID;
	return keys_end(r);
}

/* The persistent keyring of a uid ("_persistent.N"), linked into a
 * keyring of the caller's; each request pushes its expiry back. */
static long kc_get_persistent(uint32_t uid, int32_t destid)
{
	if (uid == (uint32_t)-1)
		uid = ident.uid;
	else if (uid != ident.uid && uid != ident.euid && !capable(CAP_SETUID))
		return -EPERM;
	int64_t now = keys_begin();
	struct kref dest;
	long r = lookup_key(destid, LK_CREATE, KP_WRITE, &dest);
	if (r < 0)
		return keys_end(r);
	if (dest.k->type != KEYT_KEYRING)
		return keys_end(-ENOTDIR);
	struct picos_key_user *e = NULL;
	struct picos_keys *ks = keys_table();
	for (uint32_t i = 0; i < ks->nusers && i < PICOS_KEY_USERS && !e; i++)
		if (ks->users[i].uid == uid)
			e = &ks->users[i];
	if (!e && ks->nusers < PICOS_KEY_USERS) {
		e = &ks->users[ks->nusers++];
		rt_memset(e, 0, sizeof *e);
		e->uid = uid;
	}
	if (!e)
		return keys_end(-ENOMEM);
	struct picos_key *pk = key_by_serial(e->persistent);
	if (!pk || (pk->flags & (KEYF_REVOKED | KEYF_INVALID))) {
		char name[32];
		rt_snprintf(name, sizeof name, "_persistent.%u", uid);
		uint32_t perm = ((KP_ALL & ~KP_SETATTR) << 24) |
				((KP_VIEW | KP_READ) << 16);
		r = key_new(KEYT_KEYRING, name, uid, 0xffffffffu, perm, Q_NONE,
			    0, &pk);
		if (r < 0)
			return keys_end(r);
		e->persistent = pk->serial;
	}
	if (!key_perm_ok(pk, true, KP_LINK))
		return keys_end(-EACCES);
	r = key_link(dest.k, pk);
	if (r < 0)
		return keys_end(r);
	pk->expiry = now + KEY_PERSISTENT_EXPIRY;
	return keys_end(pk->serial);
}

/* What this keyrings implementation offers (KEYCTL_CAPABILITIES). */
static long kc_capabilities(unsigned char *ubuf, size_t buflen)
{
	unsigned char caps[2] = {
		KEYCTL_CAPS0_CAPABILITIES | KEYCTL_CAPS0_PERSISTENT_KEYRINGS |
			KEYCTL_CAPS0_INVALIDATE | KEYCTL_CAPS0_MOVE,
		KEYCTL_CAPS1_NS_KEYRING_NAME,
	};
	if (buflen > 0) {
		size_t n = RT_MIN(buflen, sizeof caps);
		if (copy_to_user(ubuf, caps, n) < 0 ||
		    (n < buflen && clear_user(ubuf + n, buflen - n) < 0))
			return -EFAULT;
	}
	return sizeof caps;
}

/* The instantiation calls need the authority a request_key upcall hands
 * out; picos makes no upcalls, so no caller ever holds one. */
static long kc_reject(unsigned error)
{
	if (error == 0 || error >= 4095 || error == 512 || error == 513 ||
	    error == 514 || error == 516) /* ERESTART* */
		return -EINVAL;
	return -EPERM;
}

static long kc_instantiate_iov(const void *uiov, unsigned ioc)
{
	struct { uint64_t base, len; } iov;
	if (!uiov)
		ioc = 0;
	if (ioc > 1024)
		return -EINVAL;
	uint64_t total = 0;
	for (unsigned i = 0; i < ioc; i++) {
		if (copy_from_user(&iov, (const char *)uiov + i * sizeof iov,
				   sizeof iov) < 0)
			return -EFAULT;
		if ((int64_t)iov.len < 0)
			return -EINVAL;
		total += iov.len;
	}
	return total > KEY_PAYLOAD_MAX ? -EINVAL : -EPERM;
}

long sys_keyctl(int op, unsigned long a2, unsigned long a3, unsigned long a4,
		unsigned long a5)
{
	switch (op) {
	case KEYCTL_GET_KEYRING_ID:
		return kc_get_keyring_id((int32_t)a2, (int)a3);
	case KEYCTL_JOIN_SESSION_KEYRING:
		return kc_join_session((const char *)a2);
	case KEYCTL_UPDATE:
		return kc_update((int32_t)a2, (const void *)a3, a4);
	case KEYCTL_REVOKE:
		return kc_revoke((int32_t)a2);
	case KEYCTL_CHOWN:
		return kc_chown((int32_t)a2, (uint32_t)a3, (uint32_t)a4);
	case KEYCTL_SETPERM:
		return kc_setperm((int32_t)a2, (uint32_t)a3);
	case KEYCTL_DESCRIBE:
		return kc_describe((int32_t)a2, (char *)a3, (unsigned)a4);
	case KEYCTL_CLEAR:
		return kc_clear((int32_t)a2);
	case KEYCTL_LINK:
		return kc_link((int32_t)a2, (int32_t)a3);
	case KEYCTL_UNLINK:
		return kc_unlink((int32_t)a2, (int32_t)a3);
	case KEYCTL_SEARCH:
		return kc_search((int32_t)a2, (const char *)a3, (const char *)a4,
				 (int32_t)a5);
	case KEYCTL_READ:
		return kc_read((int32_t)a2, (char *)a3, a4);
	case KEYCTL_INSTANTIATE:
		return a4 > KEY_PAYLOAD_MAX ? -EINVAL : -EPERM;
	case KEYCTL_NEGATE:
		return kc_reject(ENOKEY);
	case KEYCTL_SET_REQKEY_KEYRING:
		return kc_set_reqkey_keyring((int)a2);
	case KEYCTL_SET_TIMEOUT:
		return kc_set_timeout((int32_t)a2, (unsigned)a3);
	case KEYCTL_ASSUME_AUTHORITY:
		return (int32_t)a2 < 0 ? -EINVAL : (int32_t)a2 == 0 ? 0 : -ENOKEY;
	case KEYCTL_GET_SECURITY:
		return kc_get_security((int32_t)a2, (char *)a3, a4);
	case KEYCTL_SESSION_TO_PARENT:
		return kc_session_to_parent();
	case KEYCTL_REJECT:
		return kc_reject((unsigned)a4);
	case KEYCTL_INSTANTIATE_IOV:
		return kc_instantiate_iov((const void *)a3, (unsigned)a4);
	case KEYCTL_INVALIDATE:
		return kc_invalidate((int32_t)a2);
	case KEYCTL_GET_PERSISTENT:
		return kc_get_persistent((uint32_t)a2, (int32_t)a3);
	case KEYCTL_MOVE:
		return kc_move((int32_t)a2, (int32_t)a3, (int32_t)a4, (unsigned)a5);
	case KEYCTL_CAPABILITIES:
		return kc_capabilities((unsigned char *)a2, a3);
	default:
		/* Diffie-Hellman, public keys, keyring restrictions and key
		 * notifications: as a kernel built without them answers. */
		return -EOPNOTSUPP;
	}
}
