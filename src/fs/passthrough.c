/* SPDX-License-Identifier: BSD-3-Clause */
/* passthrough.c: zero-copy mmap through kernel FUSE passthrough on libfuse 3.14. */

/*
 * libfuse 3.14 has no passthrough API, but fuse_session_custom_io() lets us
 * see every message on /dev/fuse.  We use that to:
 *   1. note the INIT request and whether the kernel offers FUSE_PASSTHROUGH;
 *   2. patch our INIT reply: FUSE_INIT_EXT, flags2 |= PASSTHROUGH,
 *      max_stack_depth = 1, writeback cache off; and, whatever the mmap
 *      mode, FUSE_HANDLE_KILLPRIV_V2 when offered (see pt_killpriv);
 *   3. right after that reply, probe BACKING_OPEN/CLOSE once: that decides
 *      the mmap mode ("shared" or "cached") for the whole mount;
 *   4. patch open/create replies of host regions with FOPEN_PASSTHROUGH and
 *      the region's backing id (one per inode, reference-counted, closed on
 *      the last release: never earlier, the kernel resolves the id after
 *      our reply is written).
 * The open handler records what to patch in a per-thread "pending" slot
 * just before it replies; the reply is written by the same thread, inside
 * the fuse_reply_* call, so the slot is never ambiguous.
 *
 * The other direction works the same way: libfuse 3.14 drops the kernel's
 * "kill suid/sgid" flags of WRITE, SETATTR and OPEN when it parses a
 * request (see pt_killpriv), so the read hook notes them, with the request's
 * node id, in a per-thread "kill" slot.  A worker thread reads a request
 * and then runs its handler before it reads the next one (splice reads are
 * off, ops.c, so every request passes through the hook), and every read
 * overwrites the slot: a handler only ever sees its own request's flag.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fs_i.h"

/* Kernel ABI the system's 6.1 UAPI header lacks (protocol 7.40+). */
#define PT_OPCODE_INIT 26
#define PT_OPCODE_SETATTR 4
#define PT_OPCODE_OPEN 14
#define PT_OPCODE_WRITE 16
/* where each request's kill flag sits in its body, and its bit */
#define PT_SETATTR_VALID 0           /* fuse_setattr_in.valid */
#define PT_FATTR_KILL_SUIDGID (1u << 11)
#define PT_OPEN_OPEN_FLAGS 4         /* fuse_open_in.open_flags */
#define PT_OPEN_KILL_SUIDGID (1u << 0)
#define PT_WRITE_WRITE_FLAGS 20      /* fuse_write_in.write_flags */
#define PT_WRITE_KILL_SUIDGID (1u << 2)
#define PT_IN_NODEID 16              /* fuse_in_header.nodeid */
#define PT_INIT_EXT (1u << 30)
#define PT_WRITEBACK_CACHE (1u << 16)
#define PT_KILLPRIV_V2 (1u << 28)
#define PT_FLAGS2_PASSTHROUGH (1u << 5) /* bit 37 of the 64-bit flags */
#define PT_FOPEN_DIRECT_IO (1u << 0)
#define PT_FOPEN_PARALLEL_DIRECT_WRITES (1u << 6)
#define PT_FOPEN_PASSTHROUGH (1u << 7)
#define PT_IN_HEADER_LEN 40
#define PT_INIT_OUT_LEN 64
#define PT_OPEN_OUT_LEN 16

struct pt_backing_map {
	int32_t fd;
	uint32_t flags;
	uint64_t padding;
};

#define PT_IOC_BACKING_OPEN _IOW(229, 1, struct pt_backing_map)
#define PT_IOC_BACKING_CLOSE _IOW(229, 2, uint32_t)

_Static_assert(PT_IOC_BACKING_OPEN == 0x4010e501, "BACKING_OPEN");
_Static_assert(PT_IOC_BACKING_CLOSE == 0x4004e502, "BACKING_CLOSE");

struct hshmfs_pt {
	pthread_mutex_t lock;
	int devfd;
	uint64_t init_unique;
	uint32_t init_flags;          /* what the kernel offered (low word) */
	bool init_seen, offered, decided, shared;
	char why[160];
};

/* Per-thread record of the open reply being written (see the essay). */
struct pt_pending {
	bool set;
	uint32_t open_flags;
	int32_t backing_id;
};
static __thread struct pt_pending pt_pending;

/* Per-thread record of the request being handled: whether the kernel asked
 * it to drop setuid/setgid, and for which node (see the essay). */
struct pt_kill {
	bool asked;
	uint64_t nodeid;
};
static __thread struct pt_kill pt_kill;

static uint32_t get32(const void *p, size_t off)
{
	uint32_t v;

	memcpy(&v, (const char *)p + off, sizeof(v));
	return v;
}

static void put32(void *p, size_t off, uint32_t v)
{
	memcpy((char *)p + off, &v, sizeof(v));
}

/* The kill flag of a request of @n bytes at @buf: its offset and bit in the
 * body for the three requests that carry one, none for the others. */
static bool kill_flag(const void *buf, ssize_t n)
{
	size_t off, end;
	uint32_t bit;

	switch (get32(buf, 4)) {
	case PT_OPCODE_SETATTR:
		off = PT_SETATTR_VALID;
		bit = PT_FATTR_KILL_SUIDGID;
		break;
	case PT_OPCODE_OPEN:
		off = PT_OPEN_OPEN_FLAGS;
		bit = PT_OPEN_KILL_SUIDGID;
		break;
	case PT_OPCODE_WRITE:
		off = PT_WRITE_WRITE_FLAGS;
		bit = PT_WRITE_KILL_SUIDGID;
		break;
	default:
		return false;
	}
	end = PT_IN_HEADER_LEN + off + sizeof(uint32_t);
	return (size_t)n >= end && (get32(buf, PT_IN_HEADER_LEN + off) & bit);
}

static void note_kill(const void *buf, ssize_t n)
{
	pt_kill.asked = n >= PT_IN_HEADER_LEN && kill_flag(buf, n);
	pt_kill.nodeid = 0;
	if (pt_kill.asked)
		memcpy(&pt_kill.nodeid, (const char *)buf + PT_IN_NODEID,
		       sizeof(pt_kill.nodeid));
}

bool hshmfs_pt_kill_asked(fuse_ino_t ino)
{
	return pt_kill.asked && pt_kill.nodeid == (uint64_t)ino;
}

static ssize_t pt_read(int fd, void *buf, size_t len, void *userdata)
{
	struct hshmfs *fs = userdata;
	struct hshmfs_pt *pt = fs->pt;
	ssize_t n = read(fd, buf, len);

	note_kill(buf, n);
	if (n >= PT_IN_HEADER_LEN + 20 && get32(buf, 4) == PT_OPCODE_INIT) {
		uint32_t flags = get32(buf, PT_IN_HEADER_LEN + 12);
		uint32_t flags2 = get32(buf, PT_IN_HEADER_LEN + 16);

		pthread_mutex_lock(&pt->lock);
		memcpy(&pt->init_unique, (char *)buf + 8, sizeof(uint64_t));
		pt->init_seen = true;
		pt->init_flags = flags;
		pt->offered = (flags & PT_INIT_EXT) &&
			      (flags2 & PT_FLAGS2_PASSTHROUGH);
		pthread_mutex_unlock(&pt->lock);
	}
	return n;
}

static void pt_decide(struct hshmfs *fs, bool shared, const char *why)
{
	struct hshmfs_pt *pt = fs->pt;

	pt->decided = true;
	pt->shared = shared;
	snprintf(pt->why, sizeof(pt->why), "%s", why);
	HSHMFS_LOG(FUSE_LOG_INFO, "mmap mode: %s (%s)\n",
		   shared ? "shared" : "cached", why);
	if (!shared && fs->cfg.mmap == HSHMFS_MMAP_SHARED) {
		HSHMFS_LOG(FUSE_LOG_ERR, "mmap=shared was required but "
			   "passthrough is unavailable: unmounting\n");
		fuse_session_exit(fs->se);
	}
}

/* Called once, right after the kernel processed our INIT reply. */
static void pt_probe(struct hshmfs *fs)
{
	struct pt_backing_map map = { 0 };
	char why[128];
	int id;

	map.fd = memfd_create("hshmfs-probe", MFD_CLOEXEC);
	if (map.fd < 0) {
		snprintf(why, sizeof(why), "memfd_create: %s", strerror(errno));
		pt_decide(fs, false, why);
		return;
	}
	id = ioctl(fs->pt->devfd, PT_IOC_BACKING_OPEN, &map);
	if (id > 0) {
		uint32_t uid = (uint32_t)id;

		ioctl(fs->pt->devfd, PT_IOC_BACKING_CLOSE, &uid);
		pt_decide(fs, true, "kernel FUSE passthrough");
	} else {
		snprintf(why, sizeof(why), "passthrough refused by the kernel: "
			 "%s%s", strerror(errno), errno == ENOTTY ?
			 " (kernel older than 6.9)" : errno == EPERM ?
			 " (needs CAP_SYS_ADMIN)" : "");
		pt_decide(fs, false, why);
	}
	close(map.fd);
}

static bool is_init_reply(struct hshmfs_pt *pt, struct iovec *iov, int count)
{
	uint64_t unique;
	int32_t error;

	if (count < 2 || iov[0].iov_len < 16 || !pt->init_seen || pt->decided)
		return false;
	memcpy(&error, (char *)iov[0].iov_base + 4, sizeof(error));
	memcpy(&unique, (char *)iov[0].iov_base + 8, sizeof(unique));
	return unique == pt->init_unique && error == 0 &&
	       iov[1].iov_len >= PT_INIT_OUT_LEN;
}

static void patch_init(struct hshmfs *fs, void *out)
{
	put32(out, 12, (get32(out, 12) | PT_INIT_EXT) & ~PT_WRITEBACK_CACHE);
	put32(out, 32, get32(out, 32) | PT_FLAGS2_PASSTHROUGH);
	put32(out, 36, 1); /* max_stack_depth: backing files are on tmpfs */
}

static void patch_open(struct iovec *iov, int count)
{
	char *p;

	pt_pending.set = false;
	if (count != 2 || iov[1].iov_len < PT_OPEN_OUT_LEN)
		return;
	p = (char *)iov[1].iov_base + iov[1].iov_len - PT_OPEN_OUT_LEN;
	put32(p, 8, get32(p, 8) | pt_pending.open_flags);
	put32(p, 12, (uint32_t)pt_pending.backing_id);
}

/*
 * FUSE_HANDLE_KILLPRIV_V2 makes the kernel mark the superblock SB_NOSEC, so
 * a write no longer asks the daemon for security.capability every time
 * (one round trip per write(2), a third of passthrough write throughput on
 * a small machine).  In exchange the server drops setuid/setgid itself
 * (hshmfs has no security.* xattrs, so there are no capabilities to drop):
 *   - write: when write_flags has FUSE_WRITE_KILL_SUIDGID (the kernel sets
 *     it for callers without CAP_FSETID);
 *   - setattr: when valid has FATTR_KILL_SUIDGID (a truncate by a caller
 *     without CAP_FSETID, and every chown of a non-directory);
 *   - open with O_TRUNC: when open_flags has FUSE_OPEN_KILL_SUIDGID.
 * Then S_ISUID goes, and S_ISGID with it only when S_IXGRP is set
 * (hnode_kill_suidgid).  libfuse 3.14 neither asks for the feature nor
 * hands these flags to the handlers: pt_read notes them (pt_kill), the
 * handlers ask hshmfs_pt_kill_asked().  With io=passthrough the kernel
 * writes to the object itself, so hshmfs_pt_open sends the writable opens
 * of a region with bits to drop through the daemon (direct_io).
 */
static void pt_killpriv(struct hshmfs_pt *pt, void *out)
{
	if (pt->init_flags & PT_KILLPRIV_V2)
		put32(out, 12, get32(out, 12) | PT_KILLPRIV_V2);
}

static ssize_t pt_writev(int fd, struct iovec *iov, int count, void *userdata)
{
	struct hshmfs *fs = userdata;
	struct hshmfs_pt *pt = fs->pt;
	bool init, want;
	ssize_t n;

	pthread_mutex_lock(&pt->lock);
	init = is_init_reply(pt, iov, count);
	want = init && pt->offered && fs->cfg.mmap != HSHMFS_MMAP_CACHED;
	if (init)
		pt_killpriv(pt, iov[1].iov_base);
	if (want)
		patch_init(fs, iov[1].iov_base);
	pthread_mutex_unlock(&pt->lock);
	if (pt_pending.set)
		patch_open(iov, count);
	n = writev(fd, iov, count);
	if (!init)
		return n;
	pthread_mutex_lock(&pt->lock);
	if (want)
		pt_probe(fs);
	else
		pt_decide(fs, false, fs->cfg.mmap == HSHMFS_MMAP_CACHED ?
			  "forced by mmap=cached" :
			  "kernel does not offer FUSE passthrough");
	pthread_mutex_unlock(&pt->lock);
	return n;
}

/*
 * libfuse offers FUSE_CAP_SPLICE_WRITE to custom I/O only when it has a
 * splice_send hook.  With it a read reply goes object -> pipe (page
 * references) -> /dev/fuse: one copy, as when the daemon replied from a
 * mapping, with no mapping.  Only open and INIT replies need patching
 * (pt_writev), and those are never spliced.
 */
static ssize_t pt_splice_send(int fdin, off_t *offin, int fdout,
			      off_t *offout, size_t len, unsigned int flags,
			      void *userdata)
{
	(void)userdata;
	return splice(fdin, offin, fdout, offout, len, flags);
}

int hshmfs_pt_setup(struct hshmfs *fs)
{
	static const struct fuse_custom_io io = {
		.read = pt_read,
		.writev = pt_writev,
		.splice_send = pt_splice_send,
	};
	struct hshmfs_pt *pt = calloc(1, sizeof(*pt));
	int err;

	if (!pt)
		return -ENOMEM;
	pthread_mutex_init(&pt->lock, NULL);
	pt->devfd = fuse_session_fd(fs->se);
	fs->pt = pt;
	err = fuse_session_custom_io(fs->se, &io, pt->devfd);
	if (err) {
		HSHMFS_LOG(FUSE_LOG_ERR, "custom I/O hooks: %s\n",
			   strerror(-err));
		return err;
	}
	return 0;
}

void hshmfs_pt_fini(struct hshmfs *fs)
{
	if (!fs->pt)
		return;
	pthread_mutex_destroy(&fs->pt->lock);
	free(fs->pt);
	fs->pt = NULL;
}

bool hshmfs_pt_shared(struct hshmfs *fs)
{
	bool shared;

	pthread_mutex_lock(&fs->pt->lock);
	shared = fs->pt->shared;
	pthread_mutex_unlock(&fs->pt->lock);
	return shared;
}

const char *hshmfs_pt_mode_name(struct hshmfs *fs)
{
	return hshmfs_pt_shared(fs) ? "shared" : "cached";
}

static int backing_get(struct hshmfs *fs, struct hregion *r)
{
	struct pt_backing_map map = { .fd = hshm_backend_fd(&r->be) };
	int id;

	if (r->backing_refs) {
		r->backing_refs++;
		return 0;
	}
	id = ioctl(fs->pt->devfd, PT_IOC_BACKING_OPEN, &map);
	if (id <= 0) {
		int err = errno;

		HSHMFS_LOG(FUSE_LOG_ERR, "passthrough backing for %s: %s\n",
			   r->url, strerror(err));
		return -err;
	}
	r->backing_id = id;
	r->backing_refs = 1;
	return 0;
}

/*
 * io=readthrough (the default) checks writes only: an open that cannot
 * write gets full passthrough, so read/pread/splice/sendfile go
 * from the kernel straight to the object's pages, the ones writers (through
 * the mount or on the object) change, with no page cache of the FUSE inode
 * in between.  Opens that can write keep direct_io: their read(2) and
 * write(2) reach the daemon, their mmap still maps the object.  The kernel
 * takes FOPEN_DIRECT_IO per open file, so both kinds can share an inode
 * (and its backing id).  Nothing of hshmfs' is in the image to hide: the
 * record is the object's attribute (record.c); a region whose record had
 * to go to its spare page keeps direct_io on every open, and the daemon
 * shows that page as zeros.  io=daemon sends every read and write of a
 * host region to the daemon.
 *
 * A writable open of a region whose mode has bits a write must drop
 * (setuid, or setgid with group execute) keeps direct_io whatever io= says:
 * a passthrough write would change the object without the daemon seeing
 * it, and the bits would stay.  The mode is looked at when the file is
 * opened: an fd opened before a chmod u+s keeps what it was given
 * (docs/model.md).
 */
static bool pt_can_write(const struct fuse_file_info *fi)
{
	return (fi->flags & O_ACCMODE) != O_RDONLY;
}

/*
 * Whether an open of host region @n reads and writes through the daemon
 * (direct_io) rather than by kernel passthrough: always with io=daemon;
 * with io=readthrough when it can write, or when the region's record is in
 * its spare page (record.c), which the daemon's reads show as zeros; and
 * with any io= when it can write a region whose set-id bits a write must
 * drop (the daemon drops them: passthrough writes never reach it).
 */
static bool pt_direct_io(const struct hshmfs *fs, const struct hnode *n,
			 const struct fuse_file_info *fi)
{
	bool w = pt_can_write(fi);

	if (fs->cfg.io == HSHMFS_IO_DAEMON || (w && hnode_has_suidgid(n->mode)))
		return true;
	return fs->cfg.io == HSHMFS_IO_READTHROUGH &&
	       (w || record_in_spare(n->region));
}

int hshmfs_pt_open(struct hshmfs *fs, struct hnode *n,
		   struct fuse_file_info *fi)
{
	struct hregion *r = n->region;
	bool host = hshm_backend_fd(&r->be) >= 0; /* not gpu_malloc */
	int err;

	fi->keep_cache = 0;
	pt_pending.set = false;
	if (!host) { /* device memory: copies through the daemon, no mmap */
		fi->direct_io = 1;
		return 0;
	}
	if (r->dview) /* file offsets are not the object's: the page cache */
		return 0;
	if (!hshmfs_pt_shared(fs))
		return 0; /* cached: the page cache, coherent only at open */
	err = backing_get(fs, r);
	if (err)
		return err;
	fi->direct_io = pt_direct_io(fs, n, fi);
	pt_pending.set = true;
	pt_pending.open_flags = PT_FOPEN_PASSTHROUGH |
				PT_FOPEN_PARALLEL_DIRECT_WRITES;
	pt_pending.backing_id = r->backing_id;
	return 0;
}

void hshmfs_pt_release(struct hshmfs *fs, struct hnode *n)
{
	struct hregion *r = n->region;
	uint32_t id;

	if (!r || !r->backing_refs || --r->backing_refs)
		return;
	id = (uint32_t)r->backing_id;
	if (ioctl(fs->pt->devfd, PT_IOC_BACKING_CLOSE, &id) == -1)
		HSHMFS_LOG(FUSE_LOG_WARNING, "closing backing id %u: %s\n", id,
			   strerror(errno));
	r->backing_id = 0;
}
