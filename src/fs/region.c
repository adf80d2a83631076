/* SPDX-License-Identifier: BSD-3-Clause */
/* region.c: a region file's backend: create, resize, release, object perms. */

/*
 * The daemon never maps a host region to read it (hctx.no_map): its header,
 * data and record are read with pread on the object's fd, through the
 * backend library, and data writes go through the library's guarded write
 * window (hctx.write_window, src/backend/window.c).  An object that its
 * owner truncates behind hshmfs then gives short reads or a guarded fault
 * (a damaged region and -EIO for that request), never a SIGBUS that would
 * take the mount away from every user.
 *
 * Locks, in this order: fs->tree_lock, n->lock, r->map_lock.  The record
 * (meta.h) holds the node's path and attributes, so its writers hold the
 * tree lock (either mode) and the node lock, and take r->map_lock for
 * writing: where a record is kept in the spare page (record.c), its write
 * may first have to follow a size change that another process made
 * (region_follow()), so that it lands at the object's real end, never
 * inside the data.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs_i.h"
#include "meta.h"
#include "state.h"

#define CREATE_TRIES 64

uint64_t region_size(struct hnode *n)
{
	return n->region->damaged ? n->region->obj_size
				  : hshm_image_size(&n->region->be);
}

/* Zero the spare page where it is now (map_lock held for writing): a
 * grow turns it into data, which must read as zeros. */
static void meta_wipe(struct hregion *r)
{
	static const char zero[4096];

	hshm_spare_pwrite(&r->be, 0, zero, sizeof(zero));
}

void region_store_length(struct hregion *r)
{
	unsigned char le[8];

	if (!r->dview)
		return;
	for (int i = 0; i < 8; i++)
		le[i] = (unsigned char)(r->length >> (8 * i));
	hshm_spare_pwrite(&r->be, HSHMFS_LENGTH_SLOT, le, sizeof(le));
}

const char *region_label(const struct hregion *r, char *buf, size_t len)
{
	if (r->url[0])
		return r->url;
	snprintf(buf, len, "%s#%llu", hshm_backend_kind_name(r->kind),
		 (unsigned long long)r->serial);
	return buf;
}

struct hregion *region_new(enum hshm_backend_kind kind)
{
	struct hregion *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	pthread_rwlock_init(&r->map_lock, NULL);
	r->kind = kind;
	r->be.fd = -1;
	strcpy(r->state, "ok");
	return r;
}

void region_free(struct hregion *r)
{
	if (!r)
		return;
	pthread_rwlock_destroy(&r->map_lock);
	free(r->link_path);
	free(r);
}

static bool kind_has_object(enum hshm_backend_kind kind)
{
	return kind == HSHM_POSIX_SHM_MMAP || kind == HSHM_GPU_SHM_MMAP;
}

bool region_reserve_of_dir(struct hshmfs *fs, struct hnode *dir)
{
	for (; dir; dir = dir->parent)
		if (dir->dir && dir->dir->reserve >= 0)
			return dir->dir->reserve == 1;
	return fs->cfg.reserve;
}

void region_reserve_apply(struct hshmfs *fs, struct hnode *n)
{
	hshm_set_reserve(&n->region->be, region_reserve_of_dir(fs, n->parent));
}

static int region_init_backend(struct hshmfs *fs, struct hregion *r,
			       uint64_t size, int gpu, bool reserve)
{
	struct hshm_init_args a = {
		.size = size, .device = gpu,
		.flags = reserve ? 0 : HSHM_INIT_NORESERVE,
	};
	char url[HSHM_URL_MAX];
	int err = -EEXIST;

	for (int i = 0; i < CREATE_TRIES && err == -EEXIST; i++) {
		r->serial = __atomic_fetch_add(&fs->next_serial, 1,
					       __ATOMIC_RELAXED);
		snprintf(url, sizeof(url), "/%s.r%llu", fs->cfg.prefix,
			 (unsigned long long)r->serial);
		a.id.major = fs->id_major;
		a.id.minor = (uint32_t)r->serial;
		a.url = kind_has_object(r->kind) ? url : NULL;
		/* recorded before the object exists (state.c, recover.c) */
		r->creating = a.url && !state_intent_begin(fs, r->serial);
		err = hshm_shm_init(&r->be, &fs->hctx, r->kind, &a);
		if (err && r->creating)
			state_intent_end(fs, r->serial);
	}
	if (!err)
		snprintf(r->url, sizeof(r->url), "%s", hshm_backend_url(&r->be));
	return err;
}

static int obj_perm(struct hregion *r, uid_t uid, gid_t gid, mode_t mode)
{
	int fd = hshm_backend_fd(&r->be);

	if (!kind_has_object(r->kind) || fd < 0)
		return 0;
	if (fchown(fd, uid, gid) == -1) {
		int err = -errno;

		HSHMFS_LOG(FUSE_LOG_ERR, "chown of object %s to %u:%u: %s\n",
			   r->url, uid, gid, strerror(-err));
		return err;
	}
	if (fchmod(fd, mode & 0777) == -1) {
		int err = -errno;

		HSHMFS_LOG(FUSE_LOG_ERR, "chmod of object %s: %s\n", r->url,
			   strerror(-err));
		return err;
	}
	return 0;
}

void region_discard(struct hregion *r)
{
	if (hshm_is_owner(&r->be))
		hshm_shm_destroy(&r->be);
	else
		hshm_shm_detach(&r->be);
	region_free(r);
}

int region_create(struct hshmfs *fs, struct hregion **out,
		  enum hshm_backend_kind kind, uint64_t size, int gpu,
		  bool reserve, uid_t uid, gid_t gid, mode_t mode)
{
	struct hregion *r;
	int err = hshm_backend_available(&fs->hctx, kind);

	if (err) {
		HSHMFS_LOG(FUSE_LOG_ERR, "create: backend %s not available in "
			   "this build or mount (no GPU runtime)\n",
			   hshm_backend_kind_name(kind));
		return err;
	}
	r = region_new(kind);
	if (!r)
		return -ENOMEM;
	err = region_init_backend(fs, r, size, gpu, reserve);
	if (err) {
		HSHMFS_LOG(FUSE_LOG_ERR, "create: %s region of %llu bytes: %s\n",
			   hshm_backend_kind_name(kind),
			   (unsigned long long)size, strerror(-err));
		region_free(r);
		return err;
	}
	err = obj_perm(r, uid, gid, mode);
	if (err) {
		region_discard(r);
		return err;
	}
	/* an image may still be imported (import.c); not into device memory */
	r->pristine = kind != HSHM_GPU_MALLOC;
	*out = r;
	return 0;
}

int region_sync_perm(struct hshmfs *fs, struct hnode *n)
{
	return obj_perm(n->region, n->uid, n->gid, n->mode);
}

/* Remember what the object looked like when it (last) failed to validate. */
static void note_object(struct hregion *r, const struct stat *st)
{
	r->obj_size = (uint64_t)st->st_size;
	r->obj_mtime = st->st_mtim;
}

static bool same_object(const struct hregion *r, const struct stat *st)
{
	return (uint64_t)st->st_size == r->obj_size &&
	       st->st_mtim.tv_sec == r->obj_mtime.tv_sec &&
	       st->st_mtim.tv_nsec == r->obj_mtime.tv_nsec;
}

/* Only attached host regions (recovered damaged ones never were). */
static bool has_object(const struct hregion *r)
{
	return r && kind_has_object(r->kind) && hshm_backend_fd(&r->be) >= 0;
}

/*
 * Follow what another process did to the object (map_lock held for
 * writing): validate its header against its real size again, and mark the
 * region damaged, or valid again, with one log line for the change.
 * Return: 0 (valid) or -EIO (damaged).
 */
static int region_follow(struct hregion *r)
{
	struct stat st;
	int err;

	if (!has_object(r))
		return r->damaged ? -EIO : 0;
	if (fstat(hshm_backend_fd(&r->be), &st))
		return r->damaged ? -EIO : 0;
	if (r->damaged ? same_object(r, &st)
		       : (uint64_t)st.st_size == hshm_image_size(&r->be))
		return r->damaged ? -EIO : 0;
	err = hshm_shm_refresh(&r->be);
	if (err) {
		if (!r->damaged)
			HSHMFS_LOG(FUSE_LOG_ERR, "region %s changed behind "
				   "hshmfs and no longer validates: %s\n",
				   r->url, strerror(-err));
		r->damaged = true;
		note_object(r, &st);
		snprintf(r->state, sizeof(r->state), "damaged: object changed "
			 "behind hshmfs (%s)", hshmfs_damage_why(
				 hshm_backend_fd(&r->be), (uint64_t)st.st_size,
				 r->kind, err));
		return -EIO;
	}
	if (r->damaged) {
		r->damaged = false;
		strcpy(r->state, "ok");
		HSHMFS_LOG(FUSE_LOG_INFO, "region %s validates again\n",
			   r->url);
	}
	return 0;
}

/*
 * Notice a change another process made to the object.  One fstat answers
 * the common case (nothing changed) without the map lock; only a size
 * change, or a damaged region whose object changed since, is validated
 * again, and then the record is rewritten at the object's real end.
 */
bool region_refresh(struct hshmfs *fs, struct hnode *n)
{
	struct hregion *r = n->region;
	struct stat st;
	bool changed;

	if (!has_object(r) || fstat(hshm_backend_fd(&r->be), &st))
		return false;
	pthread_rwlock_rdlock(&r->map_lock);
	changed = r->damaged ? !same_object(r, &st)
			     : (uint64_t)st.st_size != hshm_image_size(&r->be);
	pthread_rwlock_unlock(&r->map_lock);
	if (!changed)
		return false;
	node_lock(n);
	region_save_meta(fs, n); /* follows first; a shrink took the record */
	node_unlock(n);
	return true;
}

/*
 * Put sealed record @m where it lives (map_lock held for writing): the
 * object's extended attribute (record.c), else its spare page.  Before a
 * spare-page write the library checks the object's real size; -ESTALE
 * (another process resized it) is followed, then the write is tried once
 * more.  Return: 0, -ENODATA (nowhere to keep one) or -errno.
 */
static int record_put(struct hshmfs *fs, struct hregion *r,
		      const struct hshmfs_meta *m)
{
	int err = record_put_xattr(fs, r, m);

	if (!err)
		return 0;
	if (!hshm_spare_has(&r->be))
		return -ENODATA;
	/* before the bytes are there: reads hide the page from now on */
	__atomic_store_n(&r->rec_spare, true, __ATOMIC_RELAXED);
	err = hshm_spare_pwrite(&r->be, 0, m, sizeof(*m));
	if (err == -ESTALE && !region_follow(r))
		err = hshm_spare_pwrite(&r->be, 0, m, sizeof(*m));
	return err;
}

/* Write @n's record (map_lock held for writing), and the data view's
 * length with it. */
static void record_store(struct hshmfs *fs, struct hnode *n)
{
	struct hregion *r = n->region;
	struct hshmfs_meta m;
	int err;

	assert(tree_held(false) && node_held(n)); /* path and attributes */
	meta_from_node(fs, n, &m);
	err = record_put(fs, r, &m);
	if (!err)
		region_store_length(r);
	if (err && err != -ENODATA && !r->damaged)
		HSHMFS_LOG(FUSE_LOG_WARNING, "region %s: record not saved: "
			   "%s\n", r->url, strerror(-err));
	if (!err && r->creating) { /* complete now: its record is there */
		r->creating = false;
		state_intent_end(fs, r->serial);
	}
}

void region_save_meta(struct hshmfs *fs, struct hnode *n)
{
	struct hregion *r = n->region;

	assert(tree_held(false) && node_held(n));
	if (!r)
		return;
	pthread_rwlock_wrlock(&r->map_lock);
	/* a view entry follows its object too, but its record is never
	 * written: the object is someone else's */
	if (!region_follow(r) && !n->foreign)
		record_store(fs, n);
	pthread_rwlock_unlock(&r->map_lock);
}

int region_resize(struct hshmfs *fs, struct hnode *n, uint64_t size)
{
	struct hregion *r = n->region;
	int err;

	assert(tree_held(false) && node_held(n));
	if (r->damaged)
		return -EIO;
	if (size == hshm_image_size(&r->be))
		return 0;
	if (r->kind == HSHM_GPU_MALLOC && r->ipc_opens) {
		HSHMFS_LOG(FUSE_LOG_WARNING, "truncate of %s refused: its IPC "
			   "handle was handed out %u time(s) and a resize "
			   "would reallocate the device memory\n",
			   n->name ? n->name : "?", r->ipc_opens);
		return -ETXTBSY;
	}
	__atomic_store_n(&r->pristine, false, __ATOMIC_RELAXED);
	pthread_rwlock_wrlock(&r->map_lock);
	err = region_follow(r);
	if (!err) {
		meta_wipe(r); /* the old record's page becomes data when growing */
		region_reserve_apply(fs, n);
		err = hshm_shm_resize(&r->be, size);
	}
	if (!r->damaged)
		record_store(fs, n); /* at the new end, or back at the old one */
	pthread_rwlock_unlock(&r->map_lock);
	return err;
}

/* Mark the record "detached": the next mount leaves the object alone.  The
 * node is already unlinked, so the record it had is kept as it was. */
static void meta_detach(struct hshmfs *fs, struct hnode *n)
{
	struct hregion *r = n->region;
	struct hshmfs_meta m;
	bool spare;

	if (n->foreign)
		return;
	assert(tree_held(true)); /* the node is being released */
	node_lock(n);
	pthread_rwlock_wrlock(&r->map_lock);
	/* only a record that is ours as it stands (sealed) is changed */
	if (!region_follow(r) &&
	    !record_read(fs, hshm_backend_fd(&r->be), hshm_image_size(&r->be),
			 &m, &spare)) {
		m.flags = (m.flags & ~HSHMFS_META_OWNED) | HSHMFS_META_DETACHED;
		meta_seal(fs, &m);
		record_put(fs, r, &m);
	}
	pthread_rwlock_unlock(&r->map_lock);
	node_unlock(n);
}

static void node_region_free(struct hnode *n)
{
	region_free(n->region);
	n->region = NULL;
}


/* A taken-over upstream region: destroying it means withdrawing its link
 * (the object itself is a memfd or someone's file, not ours to unlink). */
static void release_foreign(struct hshmfs *fs, struct hregion *r)
{
	if (hshm_is_owner(&r->be))
		upstream_withdraw(fs, r);
	hshm_shm_detach(&r->be);
}

/*
 * The object a purge may remove, as an fd: the view's own (an attached
 * region), or else the name opened O_PATH and found to be the very object
 * recovery validated (r->dev, r->objino).  Return: the fd (the caller
 * closes it), -ESTALE (the name is another object now) or -errno.
 */
static int purge_fd(struct hshmfs *fs, const struct hregion *r)
{
	int fd = hshm_backend_fd(&r->be);
	struct stat st;

	if (fd >= 0) {
		fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		return fd < 0 ? -errno : fd;
	}
	fd = openat(fs->hctx.shm_dirfd, r->url + 1,
		    O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || st.st_dev != r->dev || st.st_ino != r->objino) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

/* rm'ed in lost+found (dir.c): the object goes, whatever state it is in,
 * but only while its name is still the object this mount validated; one
 * another user put in its place (a rename over the name) is left alone. */
static void region_purge(struct hshmfs *fs, struct hregion *r)
{
	int fd, err;

	if (r->url[0] != '/') { /* malloc, gpu_malloc: no object */
		hshm_shm_detach(&r->be); /* their memory goes with the view */
		return;
	}
	fd = purge_fd(fs, r);
	err = fd < 0 ? fd : hshm_shm_unlink_fd(&fs->hctx, r->url, fd);
	if (fd >= 0)
		close(fd);
	if (err == -ESTALE)
		HSHMFS_LOG(FUSE_LOG_WARNING, "purge of %s: the name now names "
			   "another object: nothing removed\n", r->url);
	else if (err && err != -ENOENT)
		HSHMFS_LOG(FUSE_LOG_ERR, "purge of %s: %s\n", r->url,
			   strerror(-err));
	else
		HSHMFS_LOG(FUSE_LOG_INFO, "purged %s%s (%s)\n", r->url,
			   r->purge == PURGE_LOST_FOUND ? " from lost+found" : "",
			   r->state);
	hshm_shm_detach(&r->be);
}

void region_release(struct hshmfs *fs, struct hnode *n)
{
	struct hregion *r = n->region;

	upstream_unpublish(fs, n);
	if (n->foreign) {
		release_foreign(fs, r);
	} else if (r->purge) {
		region_purge(fs, r);
	} else if (r->damaged) {
		/* the object is left for its owner to inspect; drop our view */
		hshm_shm_detach(&r->be);
	} else if (hshm_is_owner(&r->be)) {
		int err = hshm_shm_destroy(&r->be);

		if (err && err != -ENOENT)
			HSHMFS_LOG(FUSE_LOG_ERR, "destroy of %s: %s\n",
				   r->url, strerror(-err));
	} else {
		/* Not ours to destroy: detach and stop claiming it. */
		meta_detach(fs, n);
		hshm_shm_detach(&r->be);
	}
	node_region_free(n);
}

void region_unmount(struct hshmfs *fs, struct hnode *n)
{
	upstream_unpublish(fs, n);
	node_lock(n);
	region_save_meta(fs, n); /* follows a resize made by another process */
	node_unlock(n);
	hshm_shm_detach(&n->region->be);
	node_region_free(n);
}

int region_set_id(struct hnode *n, struct hshm_backend_id id)
{
	struct hregion *r = n->region;
	int err;

	pthread_rwlock_wrlock(&r->map_lock);
	err = region_follow(r);
	if (!err)
		err = hshm_set_id(&r->be, id);
	pthread_rwlock_unlock(&r->map_lock);
	if (err == -ESTALE)
		err = -EIO; /* resized again between the two looks */
	if (err && err != -EIO)
		HSHMFS_LOG(FUSE_LOG_ERR, "region %s: id not written: %s\n",
			   r->url, strerror(-err));
	return err;
}
