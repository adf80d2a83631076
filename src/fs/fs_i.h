/* SPDX-License-Identifier: BSD-3-Clause */
/* fs_i.h: private declarations of the hshmfs daemon (session, nodes, regions). */
#ifndef HSHMFS_FS_I_H
#define HSHMFS_FS_I_H

#define FUSE_USE_VERSION 314

#include <fuse_lowlevel.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "hshm/backend.h"

/* ---- configuration (opts.c) -------------------------------------------- */

/* readthrough (the default): opens that cannot write go to the object by
 * the kernel (passthrough.c); daemon: reads and writes through the daemon;
 * passthrough: all of them */
enum hshmfs_io { HSHMFS_IO_READTHROUGH = 0, HSHMFS_IO_DAEMON,
		 HSHMFS_IO_PASSTHROUGH };
enum hshmfs_mmap { HSHMFS_MMAP_AUTO = 0, HSHMFS_MMAP_SHARED, HSHMFS_MMAP_CACHED };
enum hshmfs_upstream { HSHMFS_UPSTREAM_RO = 0, HSHMFS_UPSTREAM_RW, HSHMFS_UPSTREAM_OFF };
/* AUTO: syslog in the background, stderr with -f or -d */
enum hshmfs_log_to { HSHMFS_LOG_AUTO = 0, HSHMFS_LOG_SYSLOG, HSHMFS_LOG_STDERR,
		     HSHMFS_LOG_FILE };

/** Raw option strings as fuse_opt fills them (owned, freed by opts_free). */
struct hshmfs_rawopts {
	char *backend, *size, *shm_dir, *prefix, *gpu, *mode, *io, *mmap;
	char *gpu_runtime, *uid, *gid, *links_root, *upstream;
	char *state_dir, *reserve;
	int hshm_links;
	int devnodes;     /* -o devnodes: root may make device nodes */
	char *source; /* first non-option argument (mount.fuse3 form) */
	char *log;
	char *mountpoint; /* second non-option argument (also kept for FUSE) */
	int foreground;   /* -f or -d seen (also kept for FUSE) */
};

/** Validated configuration of one mount. */
struct hshmfs_config {
	enum hshm_backend_kind backend; /* default backend of the root */
	uint64_t size;                  /* default region size */
	char shm_dir[PATH_MAX];
	char prefix[64];                /* object names are "<prefix>.r<serial>" */
	int gpu;                        /* default device */
	mode_t root_mode;               /* 01777 by default */
	uid_t root_uid;
	gid_t root_gid;
	enum hshmfs_io io;
	enum hshmfs_mmap mmap;
	char gpu_runtime[16];           /* "auto", "cuda", "hip", "double", "none" */
	bool hshm_links;
	bool reserve;                   /* reserve=: regions reserve their pages
	                                 * unless a directory says otherwise */
	bool devnodes;                  /* mknod of char/block devices (root) */
	char links_root[PATH_MAX];      /* parent of chimaera_<user>/ (/tmp) */
	/* given on the command line (they win over what a remount restores) */
	bool set_backend, set_size, set_gpu, set_mode, set_uid, set_gid;
	bool set_reserve;
	enum hshmfs_upstream upstream;  /* the /.hshm view */
	enum hshmfs_log_to log_to;      /* log=: where log lines go */
	char log_path[PATH_MAX];        /* its syslog socket or file */
	char state_dir[PATH_MAX];       /* "" = the default (state.c) */
};

#define HSHMFS_DEFAULT_PREFIX "hshmfs"
#define HSHMFS_LOST_FOUND "lost+found" /* in the root: objects with no place */
/* the largest backend_size HSHM makes (the library's limit) */
#define HSHMFS_REGION_MAX (UINT64_C(1) << 46)
#define HSHMFS_PREFIX_MAX 48

/**
 * hshmfs_parse_size() - "64M", "1G", "4096", "1k" (binary suffixes K M G T
 * P in either case, optional trailing 'B' or 'iB').  Rejects empty, negative, junk, overflow.
 * Return: 0, -EINVAL (malformed), -ERANGE (does not fit in 62 bits).
 */
int hshmfs_parse_size(const char *s, uint64_t *out);
/** hshmfs_parse_u32() - decimal u32, no sign, no junk.  0 or -EINVAL/-ERANGE. */
int hshmfs_parse_u32(const char *s, uint32_t *out);
/** hshmfs_parse_mode() - octal mode up to 07777.  0 or -EINVAL. */
int hshmfs_parse_mode(const char *s, mode_t *out);
/** hshmfs_prefix_check() - [A-Za-z0-9_-], 1..48 bytes.  0 or -EINVAL. */
int hshmfs_prefix_check(const char *s);

/**
 * hshmfs_opts_parse() - parse hshmfs' own -o options out of @args (the rest,
 * FUSE's, stay), then validate them into @cfg.  Prints a message naming the
 * bad option.  Return: 0, or -EINVAL.
 */
int hshmfs_opts_parse(struct fuse_args *args, struct hshmfs_rawopts *raw,
		      struct hshmfs_config *cfg);
void hshmfs_opts_free(struct hshmfs_rawopts *raw);
void hshmfs_opts_help(void);

/* ---- logging (log.c) -------------------------------------------------- */

#define HSHMFS_SYSLOG_PATH "/dev/log"

/**
 * hshmfs_log_parse() - a log= value: "syslog", "syslog:/SOCKET", "stderr"
 * or an absolute file path.  @path gets the socket or file.
 * Return: 0, -EINVAL (none of these), -ENAMETOOLONG.
 */
int hshmfs_log_parse(const char *s, enum hshmfs_log_to *to, char *path,
		     size_t len);
/**
 * hshmfs_log_open() - send every fuse_log() line (hshmfs', libfuse's, the
 * backend library's) where @cfg says; HSHMFS_LOG_AUTO means syslog unless
 * @foreground.  Before any thread starts.  An unreachable syslog socket is
 * reported on stderr once (while the daemon has its terminal) and retried
 * per line.
 * Return: 0, or -errno of opening the log file (then stderr is used).
 */
int hshmfs_log_open(const struct hshmfs_config *cfg, bool foreground);
/** The daemon has left its terminal: stop echoing warnings to stderr. */
void hshmfs_log_detached(void);
/** Back to libfuse's default (stderr); after the last thread ended. */
void hshmfs_log_close(void);

/* ---- a dead mount left by a crash (stale.c) ---------------------------- */

/**
 * hshmfs_stale_clear() - if @mnt is dead (statfs: ENOTCONN), a fuse.hshmfs
 * mount noted by the last mount of @cfg's shm_dir and prefix, detach it
 * (lazy unmount) with one log line.  Before fuse_parse_cmdline(), which
 * cannot resolve a dead mount point.
 * Return: 0 (nothing dead, or detached), -ENOTCONN (dead, not ours:
 * logged), or the -errno of the unmount (logged).
 */
int hshmfs_stale_clear(const struct hshmfs_config *cfg, const char *mnt);
/** Note @mnt (absolute) as this mount's point.  0 or -errno (logged). */
int hshmfs_stale_note(const struct hshmfs_config *cfg, const char *mnt);
/** Remove the note at a clean exit. */
void hshmfs_stale_unnote(const struct hshmfs_config *cfg);

/* ---- nodes (inode.c) ---------------------------------------------------- */

struct hnode;

/* user.* attributes (not user.hshm.*) of one node (xattr_user.c): sorted by
 * name, so lookups are a binary search and the namespace file can be
 * checked for duplicates in one pass. */
struct hxattr {
	char *name;                  /* the full name, "user.<...>" */
	void *value;
	uint32_t name_len, value_len;
};

struct hxattrs {
	struct hxattr *v;
	size_t count, cap;
	size_t bytes;                /* sum of name_len + value_len */
	uint64_t *mount_bytes;       /* the mount's total (fs->xattr_bytes) */
};

/* Limits of user.* attributes (docs/model.md): the kernel's own for a name
 * (255) and a value (64 KiB), then per node and per mount (the namespace
 * file holds them all). */
#define HSHMFS_XATTR_NAME_MAX 255
#define HSHMFS_XATTR_VALUE_MAX 65536
#define HSHMFS_XATTR_NODE_MAX (256u << 10)
#define HSHMFS_XATTR_MOUNT_MAX (UINT64_C(64) << 20)

/** Directory defaults and children (hash by name + list in creation order). */
struct hdir {
	struct hnode **buckets;
	size_t nbuckets, count;
	struct hnode *head, *tail; /* insertion order (readdir) */
	bool has_backend, has_size;
	enum hshm_backend_kind backend;
	uint64_t size;
	int gpu;                     /* -1: inherit */
	int dview;                   /* user.hshm.view: -1 inherit, 0 image,
	                              * 1 data (dview.c) */
	int view;                    /* HSHMFS_VIEW_*: part of /.hshm */
	int reserve;                 /* user.hshm.reserve: -1 inherit, 0 sparse
	                              * regions, 1 reserved (region.c) */
	struct { dev_t dev; ino_t ino; } *dismissed; /* rm'ed in the view */
	size_t ndismissed;
};

enum { HSHMFS_VIEW_NONE = 0, HSHMFS_VIEW_ROOT, HSHMFS_VIEW_USER };

/* A process handed a gpu_malloc IPC handle: pid and start time (in clock
 * ticks after boot, /proc/<pid>/stat field 22), so a reused pid is told
 * from the process that got the handle. */
struct hshmfs_ipc_pid {
	pid_t pid;
	uint64_t start;
};
#define HSHMFS_IPC_PIDS 16

/*
 * A region file: the daemon's view of one HSHM region.  Built by
 * region_new() and torn down by region_free() only (region.c).
 *
 * Locks, always taken in this order: fs->tree_lock, then the node's lock,
 * then map_lock.  "node" below means the owning hnode's lock.
 */
struct hregion {
	/* map_lock: held for reading by I/O and for writing by anything that
	 * changes the view (resize, refresh, record and header writes).  The
	 * view's size and header copy, and @damaged, @state, @obj_size and
	 * @obj_mtime, change only with both the node lock and map_lock (for
	 * writing) held, so either one is enough to read them. */
	pthread_rwlock_t map_lock;
	struct hshm_backend be;
	bool damaged;
	/* rm'ed in lost+found, or damaged by its owner or root (dir.c):
	 * destroy the object at release */
	enum { PURGE_NONE, PURGE_LOST_FOUND, PURGE_DAMAGED } purge;
	char state[96];              /* "ok" or why it cannot be attached */
	uint64_t obj_size;           /* damaged: the object's real size */
	struct timespec obj_mtime;   /* damaged: its mtime when marked */
	uint64_t length;             /* data view: st_size (dview.c) */
	bool importing;              /* import.c: spare-page writes dropped */
	/* atomic, written with map_lock held for writing: the record is in
	 * the spare page (record.c: the fallback, or a previous version's
	 * not yet moved), so reads hide that page and go through the daemon */
	bool rec_spare;
	/* atomic: made and not yet written or resized (import.c) */
	bool pristine;
	/* fixed at creation: no lock */
	bool dview;                  /* the data view (dview.c) */
	enum hshm_backend_kind kind;
	uint64_t serial;             /* object name "<prefix>.r<serial>" */
	char url[HSHM_URL_MAX + 1];  /* the object's url ("" for memfd kinds) */
	/* node lock */
	int backing_id;              /* passthrough id, 0 = none */
	unsigned backing_refs;
	unsigned ipc_opens;          /* gpu_malloc handles handed out */
	/* node lock: who was handed the gpu_malloc IPC handle (holders.c) */
	struct hshmfs_ipc_pid ipc_pids[HSHMFS_IPC_PIDS];
	unsigned ipc_npids;
	bool ipc_lost;               /* a holder was forgotten (list full) */
	/* upstream.c, under the tree lock: publishing and the /.hshm view */
	bool linked;                 /* published in chimaera_<user>/ */
	bool creating;               /* create intent in the state dir not yet
	                              * removed (node lock or before linking) */
	uid_t link_uid;
	/* the object's device and inode: the one reached (upstream view) or
	 * the one recovery validated (recover.c; region_purge removes only
	 * it).  Set before the node is linked, never changed. */
	dev_t dev;
	ino_t objino;
	/* upstream view: the link's name in chimaera_<user>/ (its owner is
	 * link_uid), then after its NUL the target it read at attach; one
	 * allocation.  Set before the node is linked, never changed. */
	char *link_path;
	bool peer;                   /* upstream view: made by an hshmfs mount
				      * (its record's magic): read-only.  Set
				      * before the node is linked. */
};

/*
 * An inode of the filesystem.  "tree" = fs->tree_lock: written with it held
 * for writing, read with it held in either mode.  "lock" = @lock, taken
 * after the tree lock.  Whoever holds an open handle (nopen > 0) or a
 * kernel reference may use the node itself without the tree lock: it is
 * freed only under the tree lock for writing once both are gone.
 */
struct hnode {
	uint64_t ino;                /* fixed */
	uint64_t nlookup;            /* atomic under the tree lock (read);
	                              * plain under it for writing (forget) */
	unsigned nopen;              /* lock; its last drop under the tree */
	struct hnode *parent;        /* tree; NULL: root and unlinked nodes */
	char *name;                  /* tree: freed by rename/unlink */
	mode_t mode;                 /* lock */
	uid_t uid;                   /* lock */
	gid_t gid;                   /* lock */
	nlink_t nlink;               /* lock */
	struct timespec atime, mtime, ctime; /* lock */
	bool unlinked;               /* tree */
	bool foreign;                /* fixed: not made by this mount (/.hshm) */
	uint64_t dir_cookie;         /* tree: position in the parent's listing */
	pthread_mutex_t lock;
	pthread_t lock_holder;       /* lock: who holds it (node_held()) */
	bool lock_held;              /* lock */
	struct hnode *ino_next;      /* tree: ino hash chain */
	struct hnode *name_next;     /* tree: parent's name hash chain */
	struct hnode *prev, *next;   /* tree: parent's insertion list */
	struct hdir *dir;            /* fixed pointer (S_IFDIR); its contents:
	                              * tree, its defaults: lock */
	struct hregion *region;      /* S_IFREG: set before linking, cleared
	                              * under the tree lock (writing) once
	                              * unlinked and not open; see hregion */
	char *target;                /* fixed (S_IFLNK) */
	dev_t rdev;                  /* fixed (S_IFCHR, S_IFBLK) */
	bool special;                /* fixed: a FIFO, socket or device node
	                              * (mode's type, readable with no lock) */
	struct hxattrs *xattrs;      /* lock: user.* attributes, NULL = none */
	/* Hard links (hardlink.c).  A node's first name is the node; each
	 * other name is a name-only node (S_IFREG, no region, never looked
	 * up by the kernel, which sees the node's inode) in its list. */
	struct hnode *link_of;       /* tree: the node this names, or NULL */
	struct hnode *links;         /* tree: a node's other names */
	struct hnode *link_next;     /* tree: the next in link_of's list */
};

/* The node a directory entry stands for: the region of a hard link. */
static inline struct hnode *hnode_target(struct hnode *n)
{
	return n && n->link_of ? n->link_of : n;
}

/* A FIFO, socket or device node: a name and attributes in the daemon only
 * (the kernel does their I/O).  No lock: @special is fixed, where @mode,
 * which chmod changes under the node lock, is not. */
static inline bool hnode_special(const struct hnode *n)
{
	return n->special;
}

/* Whether the namespace file keeps @n itself (directories, symlinks,
 * special nodes; regions carry their own record). */
static inline bool hnode_in_ns(const struct hnode *n)
{
	return !n->foreign && (n->dir || n->target || hnode_special(n));
}

/* ---- the session (one per mount; no globals) ---------------------------- */

struct hshmfs_pt; /* passthrough state (passthrough.c) */
struct hshmfs_ns; /* namespace file flusher (ns.c) */
struct hshmfs_up; /* the /.hshm view's scans (upstream.c) */

struct hshmfs {
	struct hshmfs_config cfg;
	struct hshm_ctx hctx;
	struct fuse_session *se;
	/* the namespace: every "tree" field of struct hnode and these */
	pthread_rwlock_t tree_lock;
	struct hnode **ino_buckets;  /* tree */
	size_t ino_nbuckets, ino_count; /* tree */
	uint64_t next_ino;           /* tree (writing) */
	uint64_t next_serial;        /* atomic (__atomic_fetch_add), no lock */
	uint64_t next_cookie;        /* tree (writing) */
	struct hnode *root;          /* fixed after setup */
	struct hshmfs_pt *pt;
	struct hshmfs_ns *ns;
	struct hshmfs_up *up;        /* NULL without the view; set at mount,
				      * cleared by upstream_fini() */
	uint32_t id_major;           /* major of the ids this mount makes */
	/* The private state directory (state.c): set at mount before any
	 * thread starts, read-only afterwards, so no lock. */
	int lock_fd;                 /* flock on <state_dir>/<base>.lock */
	int state_dirfd;             /* the state directory, -1 = none */
	char state_base[96];         /* "<prefix>-<hash of shm_dir>" */
	uint8_t meta_key[16];        /* the records' SipHash key */
	/* atomic, no lock: the shm_dir cannot keep records in extended
	 * attributes (record.c), once found set for the mount's life */
	bool rec_no_xattr;
	struct hshmfs_holders *holders; /* holders.c: set before the loop
	                              * starts; guarded by its own lock */
	double attr_timeout;
	double entry_timeout;
	pthread_key_t read_buf;      /* file.c: each worker's read buffer */
	/* file.c, set before the session exists, read-only afterwards: */
	unsigned read_max;           /* max_read asked of the kernel, 0 = its
				      * own limit (1 MiB, 256 pages) */
	unsigned splice_max;         /* largest read reply spliced */
	/* user.* bytes of every node (atomic, no lock): HSHMFS_XATTR_MOUNT_MAX */
	uint64_t xattr_bytes;
	/* the regions' user.* attributes read from the namespace file, until
	 * recovery gives them to their regions: mount setup only, no lock */
	struct hxattr_pending *xpend;
	size_t nxpend;
	/* hard links read from the namespace file, made after recovery
	 * (hardlink.c): mount setup only, no lock */
	struct hlink_pending *lpend;
	size_t nlpend;
};

static inline struct hshmfs *fs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

int hnode_table_init(struct hshmfs *fs);
void hnode_table_fini(struct hshmfs *fs);
/** New node with a fresh ino, mode/uid/gid/times set, not yet linked. */
struct hnode *hnode_new(struct hshmfs *fs, mode_t mode, uid_t uid, gid_t gid);
void hnode_free(struct hnode *n);
/** Lookups under tree_lock (caller holds it, read or write). */
struct hnode *hnode_by_ino(struct hshmfs *fs, fuse_ino_t ino);
struct hnode *hnode_child(const struct hnode *dir, const char *name);
/** The root directory (ino 1, in the tree, one kernel reference). */
struct hnode *hnode_new_root(struct hshmfs *fs, mode_t mode, uid_t uid,
			     gid_t gid);
/** Link @n as @name in @dir / unlink it (tree_lock held for writing).  A
 * node is "unlinked" from hnode_new() until it is first linked. */
int hnode_link(struct hshmfs *fs, struct hnode *dir, struct hnode *n,
	       const char *name);
/** hnode_link() a new node, or drop it (and its region) if that fails:
 * then @n is gone.  0 or -ENOMEM. */
int hnode_adopt(struct hshmfs *fs, struct hnode *dir, struct hnode *n,
		const char *name);
void hnode_unlink(struct hshmfs *fs, struct hnode *n);
/** Drop @count kernel references; frees (and releases the region) at zero
 * when unlinked and not open.  tree_lock held for writing. */
void hnode_forget(struct hshmfs *fs, struct hnode *n, uint64_t count);
/** Unlinked and not open: release the region; free the node too once the
 * kernel holds no reference (nlookup == 0).  tree_lock held for writing. */
void hnode_maybe_drop(struct hshmfs *fs, struct hnode *n);
/** Fill @st from @n (node lock held or a consistent snapshot). */
void hnode_stat(struct hshmfs *fs, struct hnode *n, struct stat *st);
/** Path of @n relative to the root, "" for the root (tree_lock held). */
int hnode_path(struct hnode *n, char *buf, size_t len);
/** Effective defaults for new regions in @dir (walks to the root). */
void hnode_dir_defaults(struct hshmfs *fs, struct hnode *dir,
			enum hshm_backend_kind *kind, uint64_t *size, int *gpu);
void hnode_touch(struct hnode *n, bool atime, bool mtime, bool ctime);
/** Whether @mode has a bit a write, truncate or chown drops: setuid, or
 * setgid with group execute (pure). */
bool hnode_has_suidgid(mode_t mode);
/** @mode without those bits, as Linux drops them for a caller without
 * CAP_FSETID (and on every chown): setuid always, setgid only with group
 * execute (without it, it is no privilege).  Pure. */
mode_t hnode_kill_suidgid(mode_t mode);
/** Fill an entry reply for @n and take a lookup reference. */
void hnode_entry(struct hshmfs *fs, struct hnode *n, struct fuse_entry_param *e);

/* ---- locks (lock.c) ----------------------------------------------------- */

/* fs->tree_lock and node locks are taken and released only through these,
 * so that debug builds can assert() what a function's contract needs. */
void tree_rdlock(struct hshmfs *fs);
void tree_wrlock(struct hshmfs *fs);
void tree_unlock(struct hshmfs *fs);
/** Whether this thread holds the tree lock (for writing, if @write). */
bool tree_held(bool write);
void node_lock(struct hnode *n);
void node_unlock(struct hnode *n);
/** Whether this thread holds @n's lock. */
bool node_held(const struct hnode *n);

/* ---- regions (region.c) ------------------------------------------------- */

/** @r's url, or "<kind>#<serial>" when it has no object (malloc,
 * gpu_malloc), for log lines: both are fixed at creation, so no lock. */
const char *region_label(const struct hregion *r, char *buf, size_t len);
/** A region with no backend yet (fd -1, state "ok"), or NULL (no memory):
 * the one place a struct hregion is built. */
struct hregion *region_new(enum hshm_backend_kind kind);
/** Free @r (NULL is a no-op); its backend must be detached or destroyed:
 * the one place a struct hregion is torn down. */
void region_free(struct hregion *r);
/** Create the region of a new file, its object owned by @uid/@gid with the
 * permission bits of @mode.  No lock needed.  0 or -errno (logged). */
int region_create(struct hshmfs *fs, struct hregion **out,
		  enum hshm_backend_kind kind, uint64_t size, int gpu,
		  bool reserve, uid_t uid, gid_t gid, mode_t mode);
/** Whether regions made or grown in @dir reserve their pages: the nearest
 * user.hshm.reserve up from @dir, else the mount's reserve= (tree lock
 * held; @dir may be NULL: an unlinked node's). */
bool region_reserve_of_dir(struct hshmfs *fs, struct hnode *dir);
/** Make @n's view reserve (or not) as its directory says now, before a
 * grow or a zeroed range (tree lock, node lock, map_lock for writing). */
void region_reserve_apply(struct hshmfs *fs, struct hnode *n);
/** Free a region that was never linked (create lost a race). */
void region_discard(struct hregion *r);
/** Release the region of an unlinked node: destroy if owned, else detach. */
void region_release(struct hshmfs *fs, struct hnode *n);
/** Detach at unmount (regions stay, ownership model aside). */
void region_unmount(struct hshmfs *fs, struct hnode *n);
/** Resize to @size bytes of image (node lock held).  0 or -errno. */
int region_resize(struct hshmfs *fs, struct hnode *n, uint64_t size);
/** Apply owner/mode of @n to the backing object.  0 or -errno. */
int region_sync_perm(struct hshmfs *fs, struct hnode *n);
/* ---- where records live (record.c) ---- */
struct hshmfs_meta;
/**
 * record_read() - the record of object @fd (@size bytes, for the spare
 * page), from its extended attribute or else its spare page (*@spare set).
 * Return: meta_verify()'s result (0, -ENOKEY, -EKEYREJECTED, -ENODATA,
 * -EBADMSG).
 */
int record_read(struct hshmfs *fs, int fd, uint64_t size,
		struct hshmfs_meta *m, bool *spare);
/**
 * record_put_xattr() - store sealed record @m as @r's extended attribute,
 * then clear a record left in its spare page (map_lock held for writing).
 * Return: 0; -EOPNOTSUPP (the shm_dir cannot, or not any more: the caller
 * uses the spare page) or another -errno of fsetxattr(2) (-ENOSPC).
 */
int record_put_xattr(struct hshmfs *fs, struct hregion *r,
		     const struct hshmfs_meta *m);
/** Whether @r's record is in its spare page (reads then hide that page). */
bool record_in_spare(const struct hregion *r);
/** Persist the metadata record of @n into its object (best effort). */
void region_save_meta(struct hshmfs *fs, struct hnode *n);
/** Write @id into the region's header (node lock held).  0, -EIO (damaged),
 * -EOPNOTSUPP (gpu_malloc) or -errno (logged). */
int region_set_id(struct hnode *n, struct hshm_backend_id id);
/** Write the data view's length into the length slot of the spare page
 * (map_lock held for writing); nothing for the image view.  Best effort:
 * a failure leaves the region damaged-or-stale, found at the next refresh. */
void region_store_length(struct hregion *r);
/** The length slot: the last 8 bytes of the spare page (little-endian). */
#define HSHMFS_LENGTH_SLOT (4096 - 8)
/* ---- the data view (dview.c) ---- */
/** Whether new regions in @dir get the data view (tree_lock held). */
bool dview_of_dir(struct hshmfs *fs, struct hnode *dir);
/** At recovery of a data-view region (attached, its record says so): the
 * length from the slot, clamped to the capacity. */
void dview_restore(struct hregion *r);
/** Make the data capacity at least @end bytes, growing to at least twice
 * what it was (tree lock and node lock held).  0 or the errors of
 * region_resize, -EFBIG. */
int dview_reserve(struct hshmfs *fs, struct hnode *n, uint64_t end);
/** truncate(2) in the data view: the length becomes @len, what it drops
 * reads as zeros (tree lock and node lock held).  0 or -errno. */
int dview_set_length(struct hshmfs *fs, struct hnode *n, uint64_t len);
/** fallocate(2) in the data view: capacity for @end bytes; the length
 * becomes @end if @extend and it is longer (tree and node locks held). */
int dview_fallocate(struct hshmfs *fs, struct hnode *n, uint64_t end,
		    bool extend);
/** read(2) in the data view (map_lock held for reading).  0 (replied) or
 * -errno (not replied). */
int dview_read(struct hshmfs *fs, fuse_req_t req, struct hregion *r,
	       size_t size, uint64_t off);
/** write(2) in the data view (no lock held): bytes written or -errno
 * (-EIO damaged, -ENOSPC, -EFBIG). */
ssize_t dview_write(struct hshmfs *fs, struct hnode *n, const char *buf,
		    size_t size, uint64_t off);
/** A write at 0 into a pristine region (import.c): -EAGAIN (not pristine:
 * the normal rules apply), -EPERM (not an image: logged), or what the
 * write did. */
ssize_t image_import(struct hshmfs *fs, struct hnode *n, const char *buf,
		     size_t size);
/** Reply to a read of @size bytes at image offset @off (map_lock held for
 * reading).  0 (replied) or -errno (not replied). */
int file_read_image(struct hshmfs *fs, fuse_req_t req, struct hregion *r,
		    size_t size, uint64_t off);
/** Current image size (st_size). */
uint64_t region_size(struct hnode *n);
/** Refresh a size change made by another process; true if it changed. */
bool region_refresh(struct hshmfs *fs, struct hnode *n);
/**
 * hshmfs_damage_why() - the reason, in words, an object of @kind and real
 * size @size (open as @fd) failed to attach with @err: the header check
 * that failed (a static string from hshm_header_check) for -EBADMSG and
 * -EPROTONOSUPPORT, strerror(-@err) otherwise (why.c).
 */
const char *hshmfs_damage_why(int fd, uint64_t size,
			      enum hshm_backend_kind kind, int err);
/** Rebuild the tree from the objects under shm_dir at mount time (recover.c). */
int region_recover(struct hshmfs *fs);

/* ---- request handlers --------------------------------------------------- */

extern const struct fuse_lowlevel_ops hshmfs_ops;

void fs_init(void *userdata, struct fuse_conn_info *conn);
void fs_destroy(void *userdata);
/* dir.c */
void fs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name);
void fs_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup);
void fs_forget_multi(fuse_req_t req, size_t count,
		     struct fuse_forget_data *forgets);
void fs_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode);
void fs_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name);
void fs_unlink(fuse_req_t req, fuse_ino_t parent, const char *name);
void fs_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
	       fuse_ino_t newparent, const char *newname, unsigned int flags);
void fs_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
		const char *name);
void fs_readlink(fuse_req_t req, fuse_ino_t ino);
void fs_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
	      dev_t rdev);
/* hardlink.c */
void fs_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
	     const char *newname);
/* dir.c */
void fs_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void fs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		struct fuse_file_info *fi);
void fs_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi);
void fs_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
int dir_name_check(const char *name);
/** Whether @name may be added to @dir: 0, -ENAMETOOLONG, -EINVAL, -ENOENT,
 * -ENOTDIR, -EEXIST, -EROFS (the /.hshm view).  tree_lock held. */
int dir_may_add(const struct hnode *dir, const char *name);
/** Owner of a new node made by the caller of @req in @dir: the caller's
 * uid and gid, or @dir's group (and setgid, for a directory) when @dir is
 * setgid. */
void dir_new_owner(fuse_req_t req, const struct hnode *dir, mode_t *mode,
		   uid_t *uid, gid_t *gid);
/** Make and link a node (tree_lock held for writing).  0 or -ENOMEM. */
int dir_add(struct hshmfs *fs, struct hnode *dir, const char *name,
	    mode_t mode, uid_t uid, gid_t gid, struct hnode **out);
/* hardlink.c */
/** Remove name @n of a node that has hard links (n->link_of or n->links
 * set): the node keeps its other names, nlink drops, and a region's
 * record follows its first name (tree_lock held for writing).  0 or
 * -ENOMEM. */
int link_unname(struct hshmfs *fs, struct hnode *n);
/** Keep a hard link @path (@len bytes), read from the namespace file, to
 * the region of @serial or (serial 0) the node at @target (@tlen bytes),
 * until recovery has made the regions.  0 or -ENOMEM. */
int link_pend(struct hshmfs *fs, uint64_t serial, const char *path,
	      size_t len, const char *target, size_t tlen);
/** Make the pending hard links (after recovery); what cannot be made is
 * logged and dropped. */
void link_pend_fini(struct hshmfs *fs);
/* file.c */
void file_mknod_region(fuse_req_t req, fuse_ino_t parent, const char *name,
		       mode_t mode);
void fs_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
	       struct fuse_file_info *fi);
void fs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void fs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
	     struct fuse_file_info *fi);
void fs_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
	      off_t off, struct fuse_file_info *fi);
void fs_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
/** Bytes of a worker's read buffer (a read of more gets its own). */
#define HSHMFS_READ_BUF (1u << 20)
/** Largest read reply spliced from the object when pipes cannot grow past
 * fs.pipe-max-size (1 MiB, less room for the reply's header); larger
 * replies are copied through the read buffer. */
#define HSHMFS_SPLICE_MAX ((1u << 20) - 3 * 4096)
/** The read request size asked of the kernel (max_read) when pipes cannot
 * grow: a 1 MiB read(2) then comes as two requests, both spliced. */
#define HSHMFS_READ_SPLIT (1u << 19)
/** Sets fs->read_max and fs->splice_max from what this process may do with
 * a pipe (file.c); call before the session is made. */
void file_read_limits(struct hshmfs *fs);
/** The per-thread read buffers (a session key): 0 or -errno (-EAGAIN,
 * -ENOMEM from pthread_key_create). */
int file_bufs_init(struct hshmfs *fs);
void file_bufs_fini(struct hshmfs *fs);
void fs_ioctl(fuse_req_t req, fuse_ino_t ino, unsigned int cmd, void *arg,
	      struct fuse_file_info *fi, unsigned flags, const void *in_buf,
	      size_t in_bufsz, size_t out_bufsz);
void fs_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset,
		  off_t length, struct fuse_file_info *fi);
/* attr.c */
void fs_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void fs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		struct fuse_file_info *fi);
void fs_statfs(fuse_req_t req, fuse_ino_t ino);
/* xattr.c */
void fs_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size);
/** Reply to a getxattr with @len bytes of @val (or -errno in @len), as
 * the caller's buffer @size asks: the length (0), ERANGE, or the value. */
void xattr_reply(fuse_req_t req, const char *val, int len, size_t size);
void fs_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
		 const char *value, size_t size, int flags);
void fs_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size);
void fs_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name);

/* xattr_user.c: user.* attributes other than user.hshm.* */
/** Whether @name is an ordinary user attribute: "user." and not
 * "user.hshm.". */
bool uxattr_name(const char *name);
/** Value of @name on @n into @buf (@size 0: only the length; node lock
 * held).  Length, -ENODATA, -ERANGE. */
int uxattr_get(const struct hnode *n, const char *name, void *buf,
	       size_t size);
/** Set @name on @n (node lock held), XATTR_CREATE/XATTR_REPLACE in
 * @flags.  0, -EINVAL (bad flags or name), -EEXIST, -ENODATA, -E2BIG,
 * -ERANGE, -ENOSPC (node or mount limit), -ENOMEM. */
int uxattr_set(struct hshmfs *fs, struct hnode *n, const char *name,
	       const void *value, size_t size, int flags);
/** Remove @name from @n (node lock held).  0 or -ENODATA. */
int uxattr_remove(struct hnode *n, const char *name);
/** The NUL-separated names of @n's attributes into @buf if not NULL (it
 * holds @size bytes); the length they need (node lock held). */
size_t uxattr_list(const struct hnode *n, char *buf, size_t size);
/** Whether @n has any user attribute (node lock held). */
bool uxattr_any(const struct hnode *n);
/** Free @x, giving its bytes back to the mount. */
void uxattr_free(struct hxattrs *x);
/** Add one attribute checked by the namespace parser (at mount, no lock).
 * 0 or -ENOMEM. */
int uxattr_load(struct hshmfs *fs, struct hxattrs **xp, const char *name,
		size_t name_len, const void *value, size_t value_len);
/** Keep a region's attributes (read from the namespace file) until
 * recovery finds the object of @serial.  Takes @x.  0 or -ENOMEM. */
int uxattr_pend(struct hshmfs *fs, uint64_t serial, struct hxattrs *x);
/** Give @n (a region being recovered) its pending attributes, if any. */
void uxattr_claim(struct hshmfs *fs, struct hnode *n);
/** Drop what no region claimed (after recovery), logged. */
void uxattr_pend_fini(struct hshmfs *fs);

/**
 * xattr value parsers (pure; fuzzed).  Values arrive without a terminating
 * NUL; a single trailing newline is tolerated (echo-style).
 * Return: 0 or -EINVAL / -ERANGE.
 */
int hshmfs_xattr_parse_id(const char *v, size_t n, struct hshm_backend_id *id);
int hshmfs_xattr_parse_size(const char *v, size_t n, uint64_t *size);
int hshmfs_xattr_parse_backend(const char *v, size_t n,
			       enum hshm_backend_kind *kind);
int hshmfs_xattr_parse_bool(const char *v, size_t n, bool *out);
int hshmfs_xattr_parse_int(const char *v, size_t n, int *out);
/** "image" (0) or "data" (1), for user.hshm.view. */
int hshmfs_xattr_parse_view(const char *v, size_t n, int *out);

/* ---- upstream HSHM (upstream.c) ----------------------------------------- */

void upstream_publish(struct hshmfs *fs, struct hnode *n);
void upstream_unpublish(struct hshmfs *fs, struct hnode *n);
int upstream_view_init(struct hshmfs *fs);
/** Stop the view's scans at unmount (waits for them a bounded time). */
void upstream_fini(struct hshmfs *fs);
/** Rescan @ino if it is a /.hshm directory, for @req (no tree_lock held:
 * the scan runs in its own thread; this waits for it at most 1 s). */
void upstream_refresh(struct hshmfs *fs, fuse_req_t req, fuse_ino_t ino);
/** Withdraw the link of a taken-over view region, relative to its owner's
 * verified link directory, if it still names the object (never by path). */
void upstream_withdraw(struct hshmfs *fs, struct hregion *r);
/** Whether @n is part of a view that must not change (ro, or a region of
 * another hshmfs mount). */
bool upstream_readonly(const struct hshmfs *fs, const struct hnode *n);
/** May @req change attributes @to_set of @n?  0, -EROFS, or -EPERM (in an
 * rw view only root's chown takes a region over; never a chgrp). */
int upstream_setattr_check(fuse_req_t req, const struct hshmfs *fs,
			   const struct hnode *n, int to_set);
/** Remember an rm'ed view entry so a rescan does not bring it back. */
void upstream_dismiss(struct hnode *dir, struct hnode *n);

/* ---- inspection: who holds a region (holders.c) ----------------------- */

struct hshmfs_holders; /* the last /proc scan, cached briefly */

/**
 * holders_init() - set up the inspection attributes for a mount at
 * @mountpoint (made absolute here: call it before fuse_daemonize()).
 * Return: 0, -ENOMEM, or the -errno of realpath() or of opening /proc.
 */
int holders_init(struct hshmfs *fs, const char *mountpoint);
/** holders_fini() - free what holders_init() made (none made: no-op). */
void holders_fini(struct hshmfs *fs);
/** holders_is_attr() - whether @name is an inspection attribute
 * (user.hshm.holders, nholders, liveness, created). */
bool holders_is_attr(const char *name);
/**
 * holders_getxattr() - answer a getxattr of an inspection attribute on
 * @ino (@name passed holders_is_attr()).  Replies ENOENT (no node),
 * ENODATA (not a region), ERANGE (@size too small),
 * ENOMEM, ENODEV (the mount point is covered: no device to match),
 * EOPNOTSUPP (holders_init() was not run or failed), or the -errno of a
 * failed /proc scan (logged).
 */
void holders_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
		      size_t size);
/** holders_ipc_note() - remember that the caller of @req was handed the
 * IPC handle of @n's gpu_malloc region (takes the node lock). */
void holders_ipc_note(fuse_req_t req, struct hnode *n);

/* ---- passthrough (passthrough.c) ---------------------------------------- */

/** Install the custom I/O hooks on the session fd (after mount). */
int hshmfs_pt_setup(struct hshmfs *fs);
void hshmfs_pt_fini(struct hshmfs *fs);
/** Whether mmap of host regions maps the object's pages (decided at INIT). */
bool hshmfs_pt_shared(struct hshmfs *fs);
const char *hshmfs_pt_mode_name(struct hshmfs *fs);
/** Open flags + backing id for an open of @n (node lock held). */
int hshmfs_pt_open(struct hshmfs *fs, struct hnode *n,
		   struct fuse_file_info *fi);
void hshmfs_pt_release(struct hshmfs *fs, struct hnode *n);
/** Whether the request this thread is handling, on node @ino, carries the
 * kernel's "kill suid/sgid" flag (FUSE_HANDLE_KILLPRIV_V2: a WRITE with
 * FUSE_WRITE_KILL_SUIDGID, a SETATTR with FATTR_KILL_SUIDGID, an OPEN with
 * FUSE_OPEN_KILL_SUIDGID).  libfuse 3.14 drops these flags; the read hook
 * keeps them per thread (passthrough.c).  No lock. */
bool hshmfs_pt_kill_asked(fuse_ino_t ino);

/* ---- helpers ------------------------------------------------------------ */

#define HSHMFS_LOG(level, ...) fuse_log(level, "hshmfs: " __VA_ARGS__)

/** Credentials of the caller of @req (uid, gid, umask). */
void fs_req_cred(fuse_req_t req, uid_t *uid, gid_t *gid, mode_t *umask);

#endif /* HSHMFS_FS_I_H */
