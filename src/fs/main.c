/* SPDX-License-Identifier: BSD-3-Clause */
/* main.c: hshmfs daemon entry point: parse options, set up, run the session. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fs_i.h"
#include "ns.h"
#include "state.h"
#include "hshm_config.h"

static void usage(const char *prog)
{
	printf("usage: %s [options] SOURCE MOUNTPOINT\n\n", prog);
	printf("Shows HSHM memory regions as files.\n\n");
	hshmfs_opts_help();
	printf("\nFUSE options:\n");
	fuse_cmdline_help();
	fuse_lowlevel_help();
}

static void fuse_log_to_hshm(void *arg, int level, const char *msg)
{
	fuse_log(level <= 3 ? FUSE_LOG_ERR : level == 4 ? FUSE_LOG_WARNING
						       : FUSE_LOG_INFO,
		 "hshmfs: %s\n", msg);
	(void)arg;
}

/* Options every mount gets: permission checks in the kernel (mode bits are
 * enforced before any request reaches us), a recognisable source and type,
 * nosuid and nodev whatever mount(8) or fstab asked (after theirs, so they
 * win: a shared scratch filesystem holds no set-id programs or devices),
 * and, when root mounts, access for every user as on /dev/shm. */
static int add_default_opts(struct fuse_args *args, struct hshmfs *fs,
			    const char *source)
{
	char fsname[300], max_read[32];

	snprintf(fsname, sizeof(fsname), "-ofsname=%s",
		 source ? source : "hshmfs");
	if (strchr(fsname, ','))
		strcpy(fsname, "-ofsname=hshmfs");
	if (fuse_opt_add_arg(args, "-odefault_permissions") ||
	    fuse_opt_add_arg(args, "-osubtype=hshmfs") ||
	    fuse_opt_add_arg(args, fsname) ||
	    fuse_opt_add_arg(args, "-onosuid,nodev"))
		return -ENOMEM;
	if (geteuid() == 0 && fuse_opt_add_arg(args, "-oallow_other"))
		return -ENOMEM;
	file_read_limits(fs); /* and fs_init tells libfuse the same */
	snprintf(max_read, sizeof(max_read), "-omax_read=%u", fs->read_max);
	if (fs->read_max && fuse_opt_add_arg(args, max_read))
		return -ENOMEM;
	return 0;
}

/* Returns 1 when the program should exit 0 (help, version). */
static int parse(struct fuse_args *args, struct hshmfs *fs,
		 struct hshmfs_rawopts *raw, struct fuse_cmdline_opts *co)
{
	if (hshmfs_opts_parse(args, raw, &fs->cfg))
		return -EINVAL;
	hshmfs_log_open(&fs->cfg, raw->foreground);
	/* before fuse_parse_cmdline: it cannot resolve a dead mount point */
	if (hshmfs_stale_clear(&fs->cfg, raw->mountpoint ? raw->mountpoint
							 : raw->source))
		return -ENOTCONN;
	if (fuse_parse_cmdline(args, co))
		return -EINVAL;
	if (co->show_help) {
		usage(args->argv[0]);
		return 1;
	}
	if (co->show_version) {
		printf("hshmfs version %s\nlibfuse version %s\n",
		       HSHMFS_VERSION, fuse_pkgversion());
		fflush(stdout); /* before fusermount3 --version writes */
		fuse_lowlevel_version();
		return 1;
	}
	if (!co->mountpoint && raw->source) { /* "hshmfs MOUNTPOINT" */
		co->mountpoint = raw->source;
		raw->source = NULL;
	}
	if (!co->mountpoint) {
		fprintf(stderr, "hshmfs: no mount point given (see -h)\n");
		return -EINVAL;
	}
	return add_default_opts(args, fs, raw->source);
}

static uint32_t prefix_major(const char *prefix)
{
	uint32_t h = 2166136261u;

	while (*prefix)
		h = (h ^ (unsigned char)*prefix++) * 16777619u;
	return h == UINT32_MAX ? 1 : h;
}

static int setup_gpu(struct hshmfs *fs)
{
	const struct hshm_gpu_runtime *rt = NULL;
	int err = hshm_gpu_by_name(fs->cfg.gpu_runtime, &rt);

	if (err)
		return err;
	fs->hctx.gpu = rt;
	if (rt && rt->id == HSHM_GPU_DOUBLE)
		HSHMFS_LOG(FUSE_LOG_WARNING, "GPU runtime: the test double "
			   "(host memory posing as a device), as requested\n");
	else
		HSHMFS_LOG(FUSE_LOG_INFO, "GPU runtime: %s\n",
			   rt ? rt->name : "none (GPU backends unavailable)");
	return 0;
}

/* The root, /.hshm, the namespace file, the regions (tree lock held). */
static int build_tree(struct hshmfs *fs)
{
	int err;

	fs->root = hnode_new_root(fs, fs->cfg.root_mode, fs->cfg.root_uid,
				  fs->cfg.root_gid);
	if (!fs->root)
		return -ENOMEM;
	err = upstream_view_init(fs);
	if (!err)
		err = ns_load(fs);
	if (!err)
		err = region_recover(fs);
	uxattr_pend_fini(fs); /* what no recovered region claimed */
	link_pend_fini(fs);   /* the other names of the regions found */
	return err;
}

/*
 * The daemon keeps every region's object open (one fd each), so the soft
 * open-file limit, often 1024, would cap a mount at about that many
 * regions: raise it to the hard limit, which only an administrator can
 * raise (docs/performance.md, "Scale").
 */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		HSHMFS_LOG(FUSE_LOG_WARNING, "raising the open-file limit to "
			   "%llu: %s\n", (unsigned long long)rl.rlim_max,
			   strerror(errno));
}

static int setup(struct hshmfs *fs)
{
	int err;

	raise_fd_limit();

	hshm_ctx_init(&fs->hctx);
	fs->hctx.log = fuse_log_to_hshm;
	fs->hctx.no_map = true; /* pread/pwrite only: no SIGBUS (region.c) */
	fs->hctx.write_window = true; /* data writes: a guarded mapping */
	err = hshm_ctx_open_dir(&fs->hctx, fs->cfg.shm_dir);
	if (err) {
		fprintf(stderr, "hshmfs: shm_dir %s: %s\n", fs->cfg.shm_dir,
			strerror(-err));
		return err;
	}
	err = state_open(fs); /* the prefix lock, the key */
	if (!err)
		err = setup_gpu(fs);
	if (err)
		return err;
	pthread_rwlock_init(&fs->tree_lock, NULL);
	err = file_bufs_init(fs);
	if (!err)
		err = hnode_table_init(fs);
	if (err)
		return err;
	fs->id_major = prefix_major(fs->cfg.prefix);
	fs->next_serial = 1;
	fs->attr_timeout = 1.0;
	fs->entry_timeout = 1.0;
	/* one thread yet, but the tree's contract holds from the start */
	tree_wrlock(fs);
	err = build_tree(fs);
	tree_unlock(fs);
	return err;
}

static int run(struct hshmfs *fs, struct fuse_args *args,
	       struct fuse_cmdline_opts *co)
{
	struct fuse_loop_config *lc;
	int err = -EIO;

	fs->se = fuse_session_new(args, &hshmfs_ops, sizeof(hshmfs_ops), fs);
	if (!fs->se)
		return -EINVAL; /* libfuse printed which option it refused */
	if (fuse_set_signal_handlers(fs->se))
		goto out_session;
	if (fuse_session_mount(fs->se, co->mountpoint))
		goto out_signals;
	hshmfs_stale_note(&fs->cfg, co->mountpoint);
	holders_init(fs, co->mountpoint); /* logged; attributes EOPNOTSUPP */
	if (hshmfs_pt_setup(fs))
		goto out_unmount;
	fuse_daemonize(co->foreground);
	hshmfs_log_detached();
	/* threads do not survive the fork in fuse_daemonize: start it after */
	if (ns_start(fs))
		goto out_unmount;
	if (co->singlethread) {
		err = fuse_session_loop(fs->se);
	} else {
		lc = fuse_loop_cfg_create();
		fuse_loop_cfg_set_clone_fd(lc, co->clone_fd);
		fuse_loop_cfg_set_max_threads(lc, co->max_threads);
		if (co->max_idle_threads != UINT_MAX)
			fuse_loop_cfg_set_idle_threads(lc, co->max_idle_threads);
		err = fuse_session_loop_mt(fs->se, lc);
		fuse_loop_cfg_destroy(lc);
	}
out_unmount:
	fuse_session_unmount(fs->se);
	hshmfs_stale_unnote(&fs->cfg);
out_signals:
	fuse_remove_signal_handlers(fs->se);
out_session:
	fuse_session_destroy(fs->se);
	fs->se = NULL;
	return err;
}

static void teardown(struct hshmfs *fs)
{
	ns_stop(fs); /* saves the last directory changes */
	upstream_fini(fs); /* no view scan left to touch the tree */
	if (fs->ino_buckets) {
		tree_wrlock(fs);
		hnode_table_fini(fs);
		tree_unlock(fs);
		file_bufs_fini(fs);
	}
	hshmfs_pt_fini(fs);
	holders_fini(fs);
	pthread_rwlock_destroy(&fs->tree_lock);
	state_close(fs);
	hshm_ctx_fini(&fs->hctx);
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts co = { 0 };
	struct hshmfs_rawopts raw;
	struct hshmfs fs;
	int err;

	memset(&fs, 0, sizeof(fs));
	fs.lock_fd = fs.state_dirfd = -1;
	err = parse(&args, &fs, &raw, &co);
	if (!err)
		err = setup(&fs);
	if (!err)
		err = run(&fs, &args, &co);
	teardown(&fs);
	free(co.mountpoint);
	hshmfs_opts_free(&raw);
	fuse_opt_free_args(&args);
	hshmfs_log_close();
	return err < 0 ? 1 : 0;
}
