/* SPDX-License-Identifier: BSD-3-Clause */
/* file.c: region file handlers: create, open, read, write, release, ioctl. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs_i.h"
#include "hshmfs/ioctl.h"

/*
 * fh holds the node pointer: a node stays in the table while it is open, so
 * the pointer is valid until release.  Bit 0 records a read-only open.
 */
#define FH_RDONLY ((uintptr_t)1) /* node pointers are aligned: bit 0 is ours */

static struct hnode *node_of(struct fuse_file_info *fi)
{
	return (struct hnode *)(uintptr_t)(fi->fh & ~FH_RDONLY);
}

static void set_fh(struct fuse_file_info *fi, struct hnode *n)
{
	fi->fh = (uintptr_t)n |
		 ((fi->flags & O_ACCMODE) == O_RDONLY ? FH_RDONLY : 0);
}

static void release_node(struct hshmfs *fs, struct hnode *n);

/* What a new region is made of, decided under the tree lock. */
struct new_region {
	enum hshm_backend_kind kind;
	uint64_t size;
	int gpu;
	bool dview;
	bool reserve;
	uid_t uid;
	gid_t gid;
	mode_t mode;
};

static int create_prepare(fuse_req_t req, struct hshmfs *fs, fuse_ino_t parent,
			  const char *name, mode_t mode, struct new_region *nr)
{
	struct hnode *dir;
	int err;

	tree_rdlock(fs);
	dir = hnode_by_ino(fs, parent);
	err = dir_may_add(dir, name);
	if (!err) {
		hnode_dir_defaults(fs, dir, &nr->kind, &nr->size, &nr->gpu);
		/* no host pages to show at offset 0: gpu_malloc is an image */
		nr->dview = nr->kind != HSHM_GPU_MALLOC &&
			    dview_of_dir(fs, dir);
		nr->reserve = region_reserve_of_dir(fs, dir);
		/* setuid, setgid and sticky as asked (the kernel has already
		 * dropped a setgid the caller may not set); the object gets
		 * only the permission bits (region.c) */
		nr->mode = S_IFREG | (mode & 07777);
		dir_new_owner(req, dir, &nr->mode, &nr->uid, &nr->gid);
	}
	tree_unlock(fs);
	return err;
}

/* Make the region, then link it; a name taken meanwhile undoes the region. */
static int create_node(fuse_req_t req, struct hshmfs *fs, fuse_ino_t parent,
		       const char *name, mode_t mode, struct hnode **out)
{
	struct new_region nr;
	struct hregion *r;
	struct hnode *dir, *n;
	int err = create_prepare(req, fs, parent, name, mode, &nr);

	if (!err)
		err = region_create(fs, &r, nr.kind, nr.size, nr.gpu,
				    nr.reserve, nr.uid, nr.gid, nr.mode);
	if (err)
		return err;
	r->dview = nr.dview;
	tree_wrlock(fs);
	dir = hnode_by_ino(fs, parent);
	err = dir_may_add(dir, name);
	if (!err)
		err = dir_add(fs, dir, name, nr.mode, nr.uid, nr.gid, &n);
	if (err) {
		tree_unlock(fs);
		region_discard(r);
		return err;
	}
	n->region = r;
	node_lock(n);
	region_save_meta(fs, n);
	node_unlock(n);
	upstream_publish(fs, n);
	*out = n; /* returned with tree_lock held for writing */
	return 0;
}

/* create(2) (@fi set: the new region is also opened) and mknod(2) of a
 * regular file (@fi NULL): both make a region. */
static void create_reply(fuse_req_t req, fuse_ino_t parent, const char *name,
			 mode_t mode, struct fuse_file_info *fi)
{
	struct hshmfs *fs = fs_of(req);
	struct fuse_entry_param e;
	struct hnode *n;
	int err = create_node(req, fs, parent, name, mode, &n);

	if (err) {
		fuse_reply_err(req, -err);
		return;
	}
	node_lock(n);
	if (fi) {
		set_fh(fi, n);
		err = hshmfs_pt_open(fs, n, fi);
	}
	if (!err) {
		n->nopen += fi ? 1 : 0;
		hnode_entry(fs, n, &e);
	}
	node_unlock(n);
	if (err) { /* nothing half-made: the region goes with the name */
		hnode_unlink(fs, n);
		hnode_maybe_drop(fs, n);
	}
	tree_unlock(fs);
	if (err)
		fuse_reply_err(req, -err);
	else if (!fi)
		fuse_reply_entry(req, &e);
	else if (fuse_reply_create(req, &e, fi) == -ENOENT) {
		/* interrupted: the kernel never saw the entry nor the open,
		 * and will send no release */
		__atomic_fetch_sub(&n->nlookup, 1, __ATOMIC_RELAXED);
		release_node(fs, n);
	}
}

void fs_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
	       struct fuse_file_info *fi)
{
	create_reply(req, parent, name, mode, fi);
}

void file_mknod_region(fuse_req_t req, fuse_ino_t parent, const char *name,
		       mode_t mode)
{
	create_reply(req, parent, name, mode, NULL);
}

/*
 * Drop setuid, and setgid when group-executable, from @n for a request the
 * kernel marked (a write or an O_TRUNC open by a caller without
 * CAP_FSETID, passthrough.c); tree lock and node lock held.  The record
 * follows.  Return: whether the mode changed, i.e. whether the kernel's
 * cached mode is now stale (neither a write nor an open reply carries
 * attributes): see kill_notify().
 */
static bool kill_locked(struct hshmfs *fs, struct hnode *n)
{
	if (!hnode_has_suidgid(n->mode))
		return false;
	n->mode = hnode_kill_suidgid(n->mode);
	hnode_touch(n, false, false, true); /* as tmpfs: a change */
	region_save_meta(fs, n);
	return true;
}

/*
 * Make the kernel ask for @ino's attributes again (offset -1: attributes
 * only, no page of the cache is touched, so this is safe from inside a
 * handler of the same inode: the kernel takes no inode lock for it).  Best
 * effort: a failure leaves the old mode cached for attr_timeout (1 s).
 */
static void kill_notify(struct hshmfs *fs, fuse_ino_t ino)
{
	int err = fuse_lowlevel_notify_inval_inode(fs->se, ino, -1, 0);

	if (err && err != -ENOENT)
		HSHMFS_LOG(FUSE_LOG_WARNING, "invalidating the mode of inode "
			   "%llu: %s\n", (unsigned long long)ino,
			   strerror(-err));
}

/* A write the kernel marked (no lock held): drop the bits (kill_locked).
 * The mode is looked at under the node lock alone first, since the kernel
 * marks every write of a caller without CAP_FSETID, bits or not. */
static void write_kill(struct hshmfs *fs, struct hnode *n, fuse_ino_t ino)
{
	bool has, changed;

	if (!hshmfs_pt_kill_asked(ino))
		return;
	node_lock(n);
	has = hnode_has_suidgid(n->mode);
	node_unlock(n);
	if (!has)
		return;
	tree_rdlock(fs); /* the record holds the path */
	node_lock(n);
	changed = kill_locked(fs, n);
	node_unlock(n);
	tree_unlock(fs);
	if (changed)
		kill_notify(fs, ino);
}

static int open_checks(struct hshmfs *fs, struct hnode *n, int flags)
{
	if (!n->region) /* unlinked: its region went with its last name */
		return n->dir ? -EISDIR : n->unlinked ? -ENOENT : -EINVAL;
	if ((flags & O_ACCMODE) != O_RDONLY && upstream_readonly(fs, n))
		return -EROFS;
	if (n->region->damaged) {
		HSHMFS_LOG(FUSE_LOG_WARNING, "open of '%s' refused: %s\n",
			   n->name ? n->name : "?", n->region->state);
		return -EIO;
	}
	if ((flags & O_TRUNC) && n->region->dview) {
		int err = dview_set_length(fs, n, 0);

		if (!err) /* as tmpfs: an O_TRUNC open is a change, even of
			   * an empty file (pjdfstest open/00) */
			hnode_touch(n, false, true, true);
		return err;
	}
	if (flags & O_TRUNC) {
		HSHMFS_LOG(FUSE_LOG_INFO, "open of '%s' with O_TRUNC refused: "
			   "a region cannot be shorter than its headers (a "
			   "directory with user.hshm.view=data takes plain "
			   "files)\n", n->name ? n->name : "?");
		return -EPERM; /* as a shrink-sealed memfd (errors.md) */
	}
	return 0;
}

void fs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct hshmfs *fs = fs_of(req);
	struct hnode *n;
	bool stale = false;
	int err;

	tree_rdlock(fs);
	n = hnode_by_ino(fs, ino);
	if (!n) {
		tree_unlock(fs);
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (n->region)
		region_refresh(fs, n);
	node_lock(n);
	set_fh(fi, n);
	err = open_checks(fs, n, fi->flags);
	/* an O_TRUNC open truncates: the bits go as on a truncate, before
	 * hshmfs_pt_open looks at them */
	if (!err && (fi->flags & O_TRUNC) && hshmfs_pt_kill_asked(ino))
		stale = kill_locked(fs, n);
	if (!err)
		err = hshmfs_pt_open(fs, n, fi);
	if (!err)
		n->nopen++;
	node_unlock(n);
	tree_unlock(fs);
	if (stale)
		kill_notify(fs, ino);
	if (err)
		fuse_reply_err(req, -err);
	else if (fuse_reply_open(req, fi) == -ENOENT)
		release_node(fs, n); /* interrupted: no release will come */
}

/*
 * Reads and writes take only the region's map lock (for reading).
 *
 * Nothing is mapped: a read is a pread from the region's object (or a
 * device copy for gpu_malloc) into the worker thread's read buffer, then
 * the reply.  An object shrunk behind hshmfs gives a short pread, which
 * the library turns into -EIO for that one request; it cannot raise a
 * signal.  The buffer is kept per worker thread (a key of the session):
 * a fresh megabyte per read would cost its page faults every time, and a
 * splice from the object measured slower than this copy (performance.md).
 */
int file_bufs_init(struct hshmfs *fs)
{
	int err = pthread_key_create(&fs->read_buf, free);

	return err ? -err : 0;
}

void file_bufs_fini(struct hshmfs *fs)
{
	free(pthread_getspecific(fs->read_buf)); /* the destroying thread's */
	pthread_setspecific(fs->read_buf, NULL);
	pthread_key_delete(fs->read_buf);
}

/*
 * Read replies are spliced from the object through libfuse's per-thread
 * pipe, which libfuse grows to the reply's size.  A process without
 * CAP_SYS_RESOURCE cannot grow a pipe past fs.pipe-max-size (1 MiB by
 * default), so a 1 MiB reply (plus its header) would not fit and would be
 * copied instead: on a mount whose regions do not reserve their pages
 * (reserve=0; reserved ones are answered from the library's window, see
 * read_direct), that process asks the kernel for read requests of at most
 * HSHMFS_READ_SPLIT bytes (max_read), and each half is spliced.  With async
 * direct I/O the kernel sends the halves at once (two workers).
 */
void file_read_limits(struct hshmfs *fs)
{
	int p[2];
	bool grows = false;

	if (pipe2(p, O_CLOEXEC) == 0) {
		grows = fcntl(p[0], F_SETPIPE_SZ, 2 * HSHMFS_READ_BUF) >= 0;
		close(p[0]);
		close(p[1]);
	}
	/* reserved regions answer from the window (read_direct), whole 1 MiB
	 * requests being cheaper there: split only where reads splice */
	fs->read_max = grows || fs->cfg.reserve ? 0 : HSHMFS_READ_SPLIT;
	fs->splice_max = grows ? HSHMFS_READ_BUF : HSHMFS_SPLICE_MAX;
}

/* This thread's buffer of HSHMFS_READ_BUF bytes, or NULL (no memory). */
static char *read_buf(struct hshmfs *fs)
{
	char *b = pthread_getspecific(fs->read_buf);

	if (!b && (b = aligned_alloc(4096, HSHMFS_READ_BUF)) &&
	    pthread_setspecific(fs->read_buf, b)) {
		free(b);
		b = NULL;
	}
	return b;
}

/*
 * gpu_malloc: the page at priv_header_off holds the IPC handle, which only
 * the ioctl hands out (to writable opens, and counted): a read shows zeros
 * there.
 */
static void zero_range(char *buf, size_t got, uint64_t off, uint64_t lo,
		       uint64_t hi)
{
	uint64_t a = off > lo ? off : lo;
	uint64_t b = off + got < hi ? off + got : hi;

	if (a < b)
		memset(buf + (a - off), 0, (size_t)(b - a));
}

/*
 * What a read shows of the pages that are not HSHM's: the IPC handle page
 * of gpu_malloc (above), and the spare page of a posix or gpu_shm_mmap
 * image where hshmfs' record is kept there (record.c: only where the
 * shm_dir cannot keep it as an attribute): zeros, so that a copy of an
 * image out of the mount is the image alone, and copies of the same
 * region compare equal (cmp) wherever they were made.
 */
static void hide_private(struct hregion *r, char *buf, size_t got,
			 uint64_t off)
{
	uint64_t end = hshm_image_size(&r->be);

	if (r->kind == HSHM_GPU_MALLOC)
		zero_range(buf, got, off, hshm_priv_header_off(&r->be),
			   hshm_priv_header_off(&r->be) + 4096);
	else if (hshm_spare_has(&r->be) && record_in_spare(r))
		zero_range(buf, got, off, end - 4096, end);
}

/*
 * A read that touches none of the pages a read must not show (above) is
 * answered from the object's fd itself: libfuse splices it into the reply
 * (passthrough.c), one copy and no mapping.  The object's real size is
 * checked first, so that a region shrunk behind hshmfs gives -EIO rather
 * than a short reply; a shrink racing that check gives a short one.
 */
/* [off, off+size) is host bytes of the object that a read may show as
 * they are (none of hide_private's pages). */
static bool read_shows_object(struct hregion *r, size_t size, uint64_t off)
{
	uint64_t end = hshm_image_size(&r->be);

	if (hshm_backend_fd(&r->be) < 0 || off >= end || !size)
		return false;
	return !hshm_spare_has(&r->be) || !record_in_spare(r) ||
	       off + size <= end - 4096;
}

/* a reply larger than libfuse's pipe can hold falls back to a fresh buffer
 * of libfuse's own, slower than ours (file_read_limits) */
static bool read_spliceable(struct hshmfs *fs, struct hregion *r, size_t size,
			    uint64_t off)
{
	return size <= fs->splice_max && read_shows_object(r, size, off);
}

/*
 * A read of a reserved region's image bytes is answered straight from the
 * library's window (hshm_win_span): the kernel copies the reply from the
 * object's pages, one copy, as the mapping daemon did.  Nothing here reads
 * those pages; a page gone meanwhile makes the kernel's copy fail, and the
 * kernel then ends the request with EIO.  -EAGAIN: use another way.
 */
static int read_direct(fuse_req_t req, struct hregion *r, size_t size,
		       uint64_t off)
{
	const void *p;

	if (!read_shows_object(r, size, off) ||
	    hshm_win_span(&r->be, off, size, &p))
		return -EAGAIN;
	fuse_reply_buf(req, p, size);
	return 0;
}

static int read_splice(fuse_req_t req, struct hregion *r, size_t size,
		       uint64_t off)
{
	struct fuse_bufvec bv = FUSE_BUFVEC_INIT(size);
	struct stat st;

	if (fstat(hshm_backend_fd(&r->be), &st) == -1)
		return -errno;
	if ((uint64_t)st.st_size < hshm_image_size(&r->be))
		return -EIO; /* shrunk behind our back: the caller says so */
	bv.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	bv.buf[0].fd = hshm_backend_fd(&r->be);
	bv.buf[0].pos = (off_t)off;
	fuse_reply_data(req, &bv, 0);
	return 0;
}

int file_read_image(struct hshmfs *fs, fuse_req_t req, struct hregion *r,
		    size_t size, uint64_t off)
{
	bool own = size > HSHMFS_READ_BUF;
	char *buf;
	ssize_t got;

	if (off < hshm_image_size(&r->be) &&
	    size > hshm_image_size(&r->be) - off)
		size = (size_t)(hshm_image_size(&r->be) - off);
	if (read_direct(req, r, size, off) == 0)
		return 0;
	if (read_spliceable(fs, r, size, off))
		return read_splice(req, r, size, off);
	buf = own ? malloc(size) : read_buf(fs);

	if (!buf)
		return -ENOMEM;
	got = hshm_image_pread(&r->be, buf, size, off);
	if (got >= 0) {
		hide_private(r, buf, (size_t)got, off);
		fuse_reply_buf(req, buf, (size_t)got);
	}
	if (own)
		free(buf);
	return got < 0 ? (int)got : 0;
}

static void region_gone(struct hnode *n)
{
	HSHMFS_LOG(FUSE_LOG_ERR, "region %s: object changed behind hshmfs; "
		   "refusing I/O until it validates again\n",
		   n->region->url);
}

void fs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
	     struct fuse_file_info *fi)
{
	struct hnode *n = node_of(fi);
	struct hregion *r = n->region;
	int err = 0;

	if (off < 0) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	pthread_rwlock_rdlock(&r->map_lock);
	if (r->damaged)
		err = -EIO;
	else if (r->dview)
		err = dview_read(fs_of(req), req, r, size, (uint64_t)off);
	else
		err = file_read_image(fs_of(req), req, r, size, (uint64_t)off);
	pthread_rwlock_unlock(&r->map_lock);
	if (err == -EIO)
		region_gone(n);
	if (err)
		fuse_reply_err(req, -err);
}

/* Writes land only in the data area: headers are changed through xattrs,
 * and the spare page past the data is hshmfs' (the data view's length,
 * the record where it cannot be an attribute: record.c). */
static ssize_t write_locked(struct hnode *n, const char *buf, size_t size,
			    uint64_t off)
{
	struct hshm_backend *be = &n->region->be;
	uint64_t lo = hshm_data_offset(be);
	uint64_t hi = lo + hshm_data_capacity(be);
	char label[48];

	if (off < lo && n->region->importing) /* the rest of an image */
		return hshm_image_pwrite(be, buf, size < lo - off ? size
						  : (size_t)(lo - off), off);
	if (off < lo) {
		/* not n->name: no tree lock here (a rename frees it) */
		HSHMFS_LOG(FUSE_LOG_INFO, "write at %llu to region %s refused: "
			   "the header pages end at %llu\n",
			   (unsigned long long)off,
			   region_label(n->region, label, sizeof(label)),
			   (unsigned long long)lo);
		return -EPERM;
	}
	if (off >= hi && n->region->importing)
		return (ssize_t)size; /* an image's spare page: ours, dropped */
	if (off >= hi) /* the region's end is its file-size limit (errors.md) */
		return size ? -EFBIG : 0;
	if (size > hi - off)
		size = (size_t)(hi - off);
	return hshm_image_pwrite(be, buf, size, off);
}

void fs_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
	      off_t off, struct fuse_file_info *fi)
{
	struct hnode *n = node_of(fi);
	ssize_t done;

	if (off < 0) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	done = -EAGAIN;
	if (n->region->dview)
		done = dview_write(fs_of(req), n, buf, size, (uint64_t)off);
	else if (off == 0 && size >= sizeof(struct hshm_backend_header) &&
		 n->region->pristine)
		done = image_import(fs_of(req), n, buf, size);
	if (done != -EAGAIN) {
		if (done < 0) {
			fuse_reply_err(req, (int)-done);
			return;
		}
		write_kill(fs_of(req), n, ino);
		fuse_reply_write(req, (size_t)done);
		return;
	}
	__atomic_store_n(&n->region->pristine, false, __ATOMIC_RELAXED);
	pthread_rwlock_rdlock(&n->region->map_lock);
	done = n->region->damaged ? -EIO
				  : write_locked(n, buf, size, (uint64_t)off);
	pthread_rwlock_unlock(&n->region->map_lock);
	if (done == -EIO)
		region_gone(n);
	if (done < 0) {
		fuse_reply_err(req, (int)-done);
		return;
	}
	node_lock(n);
	hnode_touch(n, false, true, true);
	node_unlock(n);
	write_kill(fs_of(req), n, ino);
	fuse_reply_write(req, (size_t)done);
}

/*
 * A close needs the tree's write lock only when it is the last one of an
 * unlinked node; then the node is looked up again under that lock, since a
 * FORGET may have freed it meanwhile (inode numbers are never reused).
 */
static void release_node(struct hshmfs *fs, struct hnode *n)
{
	uint64_t ino = n->ino;
	bool last;

	tree_rdlock(fs);
	node_lock(n);
	hshmfs_pt_release(fs, n);
	n->nopen--;
	if (!n->nopen && n->region && n->region->importing) {
		pthread_rwlock_wrlock(&n->region->map_lock);
		n->region->importing = false; /* the copy is done */
		pthread_rwlock_unlock(&n->region->map_lock);
	}
	last = n->unlinked && !n->nopen;
	node_unlock(n);
	tree_unlock(fs);
	if (!last)
		return;
	tree_wrlock(fs);
	n = hnode_by_ino(fs, ino);
	if (n)
		hnode_maybe_drop(fs, n);
	tree_unlock(fs);
}

void fs_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	release_node(fs_of(req), node_of(fi));
	fuse_reply_err(req, 0);
}

void fs_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset,
		  off_t length, struct fuse_file_info *fi)
{
	struct hshmfs *fs = fs_of(req);
	struct hnode *n = node_of(fi);
	uint64_t end = (uint64_t)offset + (uint64_t)length;
	int err = 0;

	if (mode & ~FALLOC_FL_KEEP_SIZE) {
		fuse_reply_err(req, EOPNOTSUPP);
		return;
	}
	if (offset < 0 || length <= 0 || end < (uint64_t)offset) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	tree_rdlock(fs); /* the record holds the path */
	node_lock(n);
	if (n->region->damaged)
		err = -EIO;
	else if (n->region->dview)
		err = dview_fallocate(fs, n, end, !(mode & FALLOC_FL_KEEP_SIZE));
	else if (!(mode & FALLOC_FL_KEEP_SIZE) && end > region_size(n))
		err = region_resize(fs, n, end);
	if (!err) { /* every fallocate marks the file modified, as on tmpfs */
		hnode_touch(n, false, true, true);
		region_save_meta(fs, n);
	}
	node_unlock(n);
	tree_unlock(fs);
	fuse_reply_err(req, -err);
}

static int gpu_info(struct hshmfs *fs, struct hnode *n,
		    struct hshmfs_gpu_info *gi)
{
	struct hshm_backend *be = &n->region->be;
	struct hshm_backend_id id = hshm_backend_id(be);
	int err = 0;

	memset(gi, 0, sizeof(*gi));
	gi->version = HSHMFS_GPU_INFO_VERSION;
	gi->size = sizeof(*gi);
	gi->kind = (uint32_t)n->region->kind;
	gi->runtime = fs->hctx.gpu ? (uint32_t)fs->hctx.gpu->id : 0;
	gi->device = hshm_data_id(be);
	gi->backend_size = hshm_backend_size(be);
	gi->data_offset = hshm_data_offset(be);
	gi->data_capacity = hshm_data_capacity(be);
	gi->id_major = id.major;
	gi->id_minor = id.minor;
	if (n->region->kind == HSHM_GPU_MALLOC) {
		err = hshm_gpu_malloc_ipc_handle(be, gi->ipc_handle);
		if (!err)
			n->region->ipc_opens++;
	}
	return err;
}

void fs_ioctl(fuse_req_t req, fuse_ino_t ino, unsigned int cmd, void *arg,
	      struct fuse_file_info *fi, unsigned flags, const void *in_buf,
	      size_t in_bufsz, size_t out_bufsz)
{
	struct hnode *n = node_of(fi);
	struct hshmfs_gpu_info gi;
	enum hshm_backend_kind kind;
	int err;

	if (cmd != (unsigned int)HSHMFS_IOC_GPU_INFO || !n || !n->region) {
		fuse_reply_err(req, ENOTTY);
		return;
	}
	kind = n->region->kind;
	if (kind != HSHM_GPU_MALLOC && kind != HSHM_GPU_SHM_MMAP) {
		fuse_reply_err(req, ENOTTY);
		return;
	}
	if (out_bufsz < sizeof(gi)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (kind == HSHM_GPU_MALLOC && (fi->fh & FH_RDONLY)) {
		/* the IPC handle gives write access to the device memory */
		char label[48];

		HSHMFS_LOG(FUSE_LOG_INFO, "GPU handle of region %s refused to "
			   "a read-only open\n",
			   region_label(n->region, label, sizeof(label)));
		fuse_reply_err(req, EACCES);
		return;
	}
	node_lock(n);
	err = gpu_info(fs_of(req), n, &gi);
	node_unlock(n);
	if (!err && kind == HSHM_GPU_MALLOC)
		holders_ipc_note(req, n);
	if (err)
		fuse_reply_err(req, -err);
	else
		fuse_reply_ioctl(req, 0, &gi, sizeof(gi));
}
