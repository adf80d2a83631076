/* SPDX-License-Identifier: BSD-3-Clause */
/* region.c: a region file's backend: create, resize, release, object perms. */
#include <errno.h>
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

static void meta_wipe(struct hregion *r)
{
	size_t len;
	void *spare = hshm_spare(&r->be, &len);

	if (spare && len >= sizeof(struct hshmfs_meta))
		memset(spare, 0, sizeof(struct hshmfs_meta));
}

static struct hregion *region_alloc(enum hshm_backend_kind kind)
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

static bool kind_has_object(enum hshm_backend_kind kind)
{
	return kind == HSHM_POSIX_SHM_MMAP || kind == HSHM_GPU_SHM_MMAP;
}

static int region_init_backend(struct hshmfs *fs, struct hregion *r,
			       uint64_t size, int gpu)
{
	struct hshm_init_args a = { .size = size, .device = gpu };
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
	pthread_rwlock_destroy(&r->map_lock);
	free(r);
}

int region_create(struct hshmfs *fs, struct hregion **out,
		  enum hshm_backend_kind kind, uint64_t size, int gpu,
		  uid_t uid, gid_t gid, mode_t mode)
{
	struct hregion *r;
	int err = hshm_backend_available(&fs->hctx, kind);

	if (err) {
		HSHMFS_LOG(FUSE_LOG_ERR, "create: backend %s not available in "
			   "this build or mount (no GPU runtime)\n",
			   hshm_backend_kind_name(kind));
		return err;
	}
	r = region_alloc(kind);
	if (!r)
		return -ENOMEM;
	err = region_init_backend(fs, r, size, gpu);
	if (err) {
		HSHMFS_LOG(FUSE_LOG_ERR, "create: %s region of %llu bytes: %s\n",
			   hshm_backend_kind_name(kind),
			   (unsigned long long)size, strerror(-err));
		pthread_rwlock_destroy(&r->map_lock);
		free(r);
		return err;
	}
	err = obj_perm(r, uid, gid, mode);
	if (err) {
		region_discard(r);
		return err;
	}
	*out = r;
	return 0;
}

int region_sync_perm(struct hshmfs *fs, struct hnode *n)
{
	return obj_perm(n->region, n->uid, n->gid, n->mode);
}

int region_resize(struct hshmfs *fs, struct hnode *n, uint64_t size)
{
	struct hregion *r = n->region;
	int err;

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
	pthread_rwlock_wrlock(&r->map_lock);
	meta_wipe(r); /* the old record's page becomes data when growing */
	err = hshm_shm_resize(&r->be, size);
	pthread_rwlock_unlock(&r->map_lock);
	region_save_meta(fs, n); /* at the new end, or back at the old one */
	return err;
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

/*
 * Notice a change another process made to the object.  One fstat answers
 * the common case (nothing changed) without the map lock; only a size
 * change, or a damaged region whose object changed since, is validated
 * again (and then logged once: marked damaged, or valid again).
 */
bool region_refresh(struct hshmfs *fs, struct hnode *n)
{
	struct hregion *r = n->region;
	struct stat st;
	uint64_t before;
	int err;

	/* only attached host regions (recovered damaged ones never were) */
	if (!r || !kind_has_object(r->kind) || !hshm_region(&r->be) ||
	    fstat(hshm_backend_fd(&r->be), &st))
		return false;
	before = hshm_image_size(&r->be);
	if (r->damaged ? same_object(r, &st) : (uint64_t)st.st_size == before)
		return false;
	pthread_rwlock_wrlock(&r->map_lock);
	err = hshm_shm_refresh(&r->be);
	if (err) {
		if (!r->damaged)
			HSHMFS_LOG(FUSE_LOG_ERR, "region %s changed behind "
				   "hshmfs and no longer validates: %s\n",
				   r->url, strerror(-err));
		r->damaged = true;
		note_object(r, &st);
		snprintf(r->state, sizeof(r->state), "damaged: object changed "
			 "behind hshmfs (%s)", strerror(-err));
	} else if (r->damaged) {
		r->damaged = false;
		strcpy(r->state, "ok");
		HSHMFS_LOG(FUSE_LOG_INFO, "region %s validates again\n",
			   r->url);
	}
	pthread_rwlock_unlock(&r->map_lock);
	if (!err)
		region_save_meta(fs, n); /* a shrink may have taken the record */
	return true;
}

void region_save_meta(struct hshmfs *fs, struct hnode *n)
{
	struct hshmfs_meta m;
	size_t len;
	void *spare;

	if (!n->region || n->region->damaged || n->foreign)
		return; /* never write into someone else's object */
	spare = hshm_spare(&n->region->be, &len);
	if (!spare || len < sizeof(m))
		return;
	meta_from_node(fs, n, &m);
	memcpy(spare, &m, sizeof(m));
	if (n->region->creating) { /* complete now: its record is there */
		n->region->creating = false;
		state_intent_end(fs, n->region->serial);
	}
}

/* Mark the record "detached": the next mount leaves the object alone.  The
 * node is already unlinked, so the record it had is kept as it was. */
static void meta_detach(struct hshmfs *fs, struct hnode *n)
{
	struct hshmfs_meta m;
	size_t len;
	void *spare = hshm_spare(&n->region->be, &len);

	if (!spare || len < sizeof(m) || n->foreign)
		return;
	memcpy(&m, spare, sizeof(m));
	if (meta_verify(&m, sizeof(m), fs->meta_key))
		return; /* not ours as it stands: never sealed */
	m.flags = (m.flags & ~HSHMFS_META_OWNED) | HSHMFS_META_DETACHED;
	meta_seal(fs, &m);
	memcpy(spare, &m, sizeof(m));
}

static void region_free(struct hnode *n)
{
	pthread_rwlock_destroy(&n->region->map_lock);
	free(n->region->link_path);
	free(n->region);
	n->region = NULL;
}


/* A taken-over upstream region: destroying it means withdrawing its link
 * (the object itself is a memfd or someone's file, not ours to unlink). */
static void release_foreign(struct hregion *r)
{
	if (hshm_is_owner(&r->be) && r->link_path && unlink(r->link_path))
		HSHMFS_LOG(FUSE_LOG_WARNING, "removing link %s: %s\n",
			   r->link_path, strerror(errno));
	hshm_shm_detach(&r->be);
}

void region_release(struct hshmfs *fs, struct hnode *n)
{
	struct hregion *r = n->region;

	upstream_unpublish(fs, n);
	if (n->foreign) {
		release_foreign(r);
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
	region_free(n);
}

void region_unmount(struct hshmfs *fs, struct hnode *n)
{
	upstream_unpublish(fs, n);
	if (!n->region->damaged)
		region_save_meta(fs, n);
	hshm_shm_detach(&n->region->be);
	region_free(n);
}
