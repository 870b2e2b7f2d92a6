// SPDX-License-Identifier: GPL-2.0
/*
 * C shims for the static inline functions and macros rext2 calls.
 * See shim.h. Nothing here has logic of its own.
 */
#include <linux/blkdev.h>
#include <linux/dcache.h>
#include <linux/delayed_call.h>
#include <linux/buffer_head.h>
#include <linux/fs.h>
#include <linux/fileattr.h>
#include <linux/highmem.h>
#include <linux/uio.h>
#include <linux/capability.h>
#include <linux/timekeeping.h>
#include <linux/writeback.h>
#include <linux/slab.h>
#include <linux/pagemap.h>
#include <linux/errseq.h>
#include <linux/workqueue.h>
#include <linux/bio.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/task_io_accounting_ops.h>
#include "shim.h"

struct buffer_head *rext2_sb_bread(struct super_block *sb, sector_t block)
{
	return sb_bread(sb, block);
}

/*
 * The buffer of @block if it is in memory and up to date, without reading
 * or sleeping (an IOCB_NOWAIT lookup); NULL otherwise.
 */
struct buffer_head *rext2_sb_find_block(struct super_block *sb, sector_t block)
{
	struct buffer_head *bh = sb_find_get_block(sb, block);

	if (bh && !buffer_uptodate(bh)) {
		brelse(bh);
		return NULL;
	}
	return bh;
}

void rext2_brelse(struct buffer_head *bh)
{
	brelse(bh);
}

void *rext2_bh_data(struct buffer_head *bh)
{
	return bh->b_data;
}

size_t rext2_bh_size(struct buffer_head *bh)
{
	return bh->b_size;
}

void rext2_map_bh(struct buffer_head *bh, struct super_block *sb, sector_t block)
{
	map_bh(bh, sb, block);
}

void rext2_set_buffer_new(struct buffer_head *bh)
{
	set_buffer_new(bh);
}

void rext2_set_buffer_boundary(struct buffer_head *bh)
{
	set_buffer_boundary(bh);
}

void rext2_bh_set_size(struct buffer_head *bh, size_t size)
{
	bh->b_size = size;
}

size_t rext2_bh_get_size(struct buffer_head *bh)
{
	return bh->b_size;
}

struct kmem_cache *rext2_kmem_cache_create(const char *name, unsigned int size,
					   unsigned int align,
					   void (*ctor)(void *))
{
	return kmem_cache_create(name, size, align,
				 SLAB_RECLAIM_ACCOUNT | SLAB_ACCOUNT, ctor);
}

struct kmem_cache *rext2_object_cache_create(const char *name, unsigned int size,
					     unsigned int align)
{
	return kmem_cache_create(name, size, align, 0, NULL);
}

void *rext2_object_cache_alloc(struct kmem_cache *cache)
{
	return kmem_cache_alloc(cache, GFP_KERNEL);
}

void *rext2_alloc_inode_sb(struct super_block *sb, struct kmem_cache *cache)
{
	return alloc_inode_sb(sb, cache, GFP_KERNEL);
}

void rext2_i_uid_write(struct inode *inode, u32 uid)
{
	i_uid_write(inode, uid);
}

void rext2_i_gid_write(struct inode *inode, u32 gid)
{
	i_gid_write(inode, gid);
}

void rext2_i_size_write(struct inode *inode, loff_t size)
{
	i_size_write(inode, size);
}

loff_t rext2_i_size_read(const struct inode *inode)
{
	return i_size_read(inode);
}

void rext2_inode_set_times(struct inode *inode, s64 atime, s64 mtime, s64 ctime)
{
	inode_set_atime(inode, atime, 0);
	inode_set_mtime(inode, mtime, 0);
	inode_set_ctime(inode, ctime, 0);
}

void rext2_inode_set_ops_reg(struct inode *inode, const void *iops,
			     const void *fops, const void *aops)
{
	inode->i_op = iops;
	inode->i_fop = fops;
	inode->i_mapping->a_ops = aops;
}

void rext2_inode_set_fop(struct inode *inode, const void *fops)
{
	inode->i_fop = fops;
}

bool rext2_dir_emit(struct dir_context *ctx, const char *name, int len,
		    u64 ino, unsigned int type)
{
	return dir_emit(ctx, name, len, ino, type);
}

u64 rext2_bdev_nr_bytes(struct block_device *bdev)
{
	return bdev_nr_bytes(bdev);
}

bool rext2_bdev_nowait(struct block_device *bdev)
{
	return bdev_nowait(bdev);
}

/* The device has a volatile write cache (a flush makes writes durable). */
bool rext2_bdev_write_cache(struct block_device *bdev)
{
	return bdev_write_cache(bdev);
}

/* The device honours REQ_FUA itself (no flush emulated after the write). */
bool rext2_bdev_fua(struct block_device *bdev)
{
	return bdev_fua(bdev);
}

unsigned int rext2_bdev_logical_block_size(struct block_device *bdev)
{
	return bdev_logical_block_size(bdev);
}

bool rext2_sb_rdonly(const struct super_block *sb)
{
	return sb_rdonly(sb);
}

bool rext2_sb_has_orphans(struct super_block *sb)
{
	/* Inodes unlinked but still open: freed on their last close. */
	return atomic_long_read(&sb->s_remove_count) != 0;
}

bool rext2_inode_is_new(struct inode *inode)
{
	return inode_state_read_once(inode) & I_NEW;
}

/*
 * fdatasync would write the inode: the test simple_fsync_noflush() makes
 * (dirty for data sync, or its metadata being written back).
 */
bool rext2_inode_datasync_dirty(struct inode *inode)
{
	return inode_state_read_once(inode) &
	       (I_DIRTY_DATASYNC | I_SYNC | I_METADATA_WRITEBACK);
}

void rext2_set_inode_metadata_writeback(struct inode *inode)
{
	set_inode_metadata_writeback(inode);
}

void rext2_inode_set_iop(struct inode *inode, const void *iops)
{
	inode->i_op = iops;
}

const unsigned char *rext2_dentry_name(const struct dentry *dentry, u32 *len)
{
	*len = dentry->d_name.len;
	return dentry->d_name.name;
}

void rext2_set_delayed_call(struct delayed_call *call, void (*fn)(void *), void *arg)
{
	set_delayed_call(call, fn, arg);
}

bool rext2_iov_iter_is_source(const struct iov_iter *i)
{
	return iov_iter_rw(i) == WRITE;
}

bool rext2_iov_iter_will_pin(const struct iov_iter *i)
{
	return iov_iter_extract_will_pin(i);
}

struct inode *rext2_kiocb_inode(const struct kiocb *iocb)
{
	return file_inode(iocb->ki_filp);
}

void rext2_inode_dio_begin(struct inode *inode)
{
	inode_dio_begin(inode);
}

void rext2_inode_dio_end(struct inode *inode)
{
	inode_dio_end(inode);
}

void rext2_inode_lock(struct inode *inode)
{
	inode_lock(inode);
}

void rext2_inode_unlock(struct inode *inode)
{
	inode_unlock(inode);
}

void rext2_inode_lock_shared(struct inode *inode)
{
	inode_lock_shared(inode);
}

bool rext2_inode_trylock_shared(struct inode *inode)
{
	return down_read_trylock(&inode->i_rwsem);
}

void rext2_inode_unlock_shared(struct inode *inode)
{
	inode_unlock_shared(inode);
}

void rext2_zero_page_range(struct page *page, unsigned int off, unsigned int len)
{
	zero_user_segment(page, off, off + len);
}

/*
 * A direct-I/O bio, as fs/direct-io.c's dio_bio_alloc() makes it: pinned
 * pages are released by the bio's completion (BIO_PAGE_PINNED), and the
 * file's write hint goes with it.
 */
struct bio *rext2_bio_alloc_dio(struct block_device *bdev, struct kiocb *iocb,
				unsigned short nr_vecs, sector_t sector, bool write,
				bool pinned)
{
	blk_opf_t opf = write ? REQ_OP_WRITE | REQ_SYNC | REQ_IDLE : REQ_OP_READ;
	struct bio *bio;

	/* As block/fops.c: a non-blocking request must not wait for a tag. */
	if (iocb->ki_flags & IOCB_NOWAIT)
		opf |= REQ_NOWAIT;
	bio = bio_alloc(bdev, nr_vecs, opf, GFP_KERNEL);

	bio->bi_iter.bi_sector = sector;
	if (pinned)
		bio_set_flag(bio, BIO_PAGE_PINNED);
	bio->bi_write_hint = file_inode(iocb->ki_filp)->i_write_hint;
	return bio;
}

/*
 * Adds a page range to a bio; with @pin, the bio takes a pin of its own on
 * the (already pinned) page, as fs/direct-io.c's dio_pin_page() does.
 */
bool rext2_bio_add_page_pinned(struct bio *bio, struct page *page, unsigned int len,
			       unsigned int off, bool pin)
{
	if (pin && folio_add_pins(page_folio(page), 1))
		return false;
	if (bio_add_page(bio, page, len, off) == len)
		return true;
	if (pin)
		unpin_user_page(page);
	return false;
}

/*
 * Polled completion (RWF_HIPRI: io_uring's IOPOLL rings) for the only bio
 * of an asynchronous request, as block/fops.c and iomap do it: the bio is
 * REQ_POLLED (submit_bio() clears that on a device that cannot poll) and
 * iocb->private names it for iocb_bio_iopoll(). A synchronous kiocb is
 * not polled (the submitter sleeps). Returns whether the bio is polled.
 */
bool rext2_bio_set_polled(struct bio *bio, struct kiocb *iocb)
{
	if (!(iocb->ki_flags & IOCB_HIPRI) || is_sync_kiocb(iocb))
		return false;
	bio->bi_opf |= REQ_POLLED;
	WRITE_ONCE(iocb->private, bio);
	return true;
}

/* The polled bio completed: iocb_bio_iopoll() has nothing left to poll. */
void rext2_kiocb_clear_polled(struct kiocb *iocb)
{
	WRITE_ONCE(iocb->private, NULL);
}

/* bio_set_pages_dirty() (not exported): before a read into user pages. */
void rext2_bio_set_pages_dirty(struct bio *bio)
{
	struct folio_iter fi;

	bio_for_each_folio_all(fi, bio) {
		if (!folio_test_dirty(fi.folio)) {
			folio_lock(fi.folio);
			folio_mark_dirty(fi.folio);
			folio_unlock(fi.folio);
		}
	}
}

/* Whether every page of the bio is still dirty (any context). */
bool rext2_bio_pages_dirty(struct bio *bio)
{
	struct folio_iter fi;

	bio_for_each_folio_all(fi, bio) {
		if (!folio_test_dirty(fi.folio))
			return false;
	}
	return true;
}

/* Unpins the bio's pages (dirtying them first: task context only) and puts it. */
void rext2_bio_release(struct bio *bio, bool mark_dirty)
{
	bio_release_pages(bio, mark_dirty);
	bio_put(bio);
}

/*
 * The bios of the direct path come from a bio set of their own, as
 * block/fops.c's do: room in front of each bio for the completion record
 * of an asynchronous request (so it needs no allocation of its own), and
 * a per-CPU cache of bios, which bio_alloc_bioset() uses for bios with
 * inline vectors (up to 4 pages).
 */
static struct bio_set rext2_one_bio_set;
static unsigned int rext2_one_bio_pad;
static bool rext2_one_bio_ready;

int rext2_one_bio_set_init(unsigned int front_pad)
{
	int err = bioset_init(&rext2_one_bio_set, BIO_POOL_SIZE, front_pad,
			      BIOSET_NEED_BVECS | BIOSET_PERCPU_CACHE);

	if (err)
		return err;
	rext2_one_bio_pad = front_pad;
	rext2_one_bio_ready = true;
	return 0;
}

void rext2_one_bio_set_exit(void)
{
	rext2_one_bio_ready = false;
	bioset_exit(&rext2_one_bio_set);
}

/* The room in front of a bio of the set: front_pad bytes, aligned as the bio. */
void *rext2_one_bio_front(struct bio *bio)
{
	return (char *)bio - rext2_one_bio_pad;
}

/*
 * The direct path (block/fops.c's simple path): a bio with room for the
 * pages of the first @max bytes of @iter, which bio_iov_iter_get_pages()
 * then pins straight into it; rext2_bio_submit_runs() places it on disk.
 * A synchronous submitter sleeps until the bio's completion clears
 * bi_private. NULL if the bio set is not there.
 */
struct bio *rext2_bio_alloc_for_iter(struct block_device *bdev, struct kiocb *iocb,
				     struct iov_iter *iter, size_t max, bool write)
{
	/* One more page for a piece that does not start on a page boundary. */
	size_t pages = min_t(size_t, DIV_ROUND_UP(max, PAGE_SIZE) + 1, BIO_MAX_VECS);
	blk_opf_t opf = write ? REQ_OP_WRITE | REQ_SYNC | REQ_IDLE : REQ_OP_READ;
	struct bio *bio;

	if (!rext2_one_bio_ready)
		return NULL;
	if (iocb->ki_flags & IOCB_NOWAIT)
		opf |= REQ_NOWAIT;
	bio = bio_alloc_bioset(bdev, iov_iter_npages(iter, pages), opf, GFP_KERNEL,
			       &rext2_one_bio_set);
	if (bio)
		bio->bi_write_hint = file_inode(iocb->ki_filp)->i_write_hint;
	return bio;
}

/* Unpins the bio's pages, dirtying them first (task context only). */
void rext2_bio_release_pages(struct bio *bio, bool mark_dirty)
{
	bio_release_pages(bio, mark_dirty);
}

void rext2_bio_put(struct bio *bio)
{
	bio_put(bio);
}

/*
 * bio_iov_iter_get_pages() for a user-backed iterator (it is not
 * exported), up to @max bytes: pins pages of @iter into the bio's vectors
 * until @max bytes are in, the bio is full or @iter is used up. Returns
 * the bytes added (the bio owns their pins: bio_release_pages() drops
 * them), or the error if none were. The caller has checked the alignment;
 * a total that is not a multiple of @len_mask + 1 is refused (-EINVAL),
 * its pins left to the bio, and the caller gives the bytes back to @iter.
 */
ssize_t rext2_bio_add_iter(struct bio *bio, struct iov_iter *iter, size_t max,
			   unsigned int len_mask)
{
	unsigned int mem_mask = bdev_dma_alignment(bio->bi_bdev);
	size_t limit = min_t(size_t, max, BIO_MAX_SIZE);

	if (!user_backed_iter(iter))
		return -EINVAL;
	bio_set_flag(bio, BIO_PAGE_PINNED);
	do {
		ssize_t ret = iov_iter_extract_bvecs(iter, bio->bi_io_vec,
						     limit - bio->bi_iter.bi_size,
						     &bio->bi_vcnt, bio->bi_max_vecs,
						     mem_mask, 0);

		if (ret <= 0) {
			if (!bio->bi_vcnt)
				return ret ? ret : -EFAULT;
			break;
		}
		bio->bi_iter.bi_size += ret;
	} while (bio->bi_iter.bi_size < limit && iov_iter_count(iter) &&
		 bio->bi_vcnt < bio->bi_max_vecs);
	if (bio->bi_iter.bi_size & len_mask)
		return -EINVAL;
	return bio->bi_iter.bi_size;
}

void rext2_iov_iter_revert(struct iov_iter *iter, size_t bytes)
{
	iov_iter_revert(iter, bytes);
}

/*
 * Submits a bio built over a request's pages as the @n runs of blocks it
 * covers: run i is @bytes[i] bytes at sector @sectors[i] (in order, adding
 * up to the bio's size). Every run but the last is split off the front
 * (bio_split) and chained to the bio, so the bio's own completion comes
 * after theirs and carries the first error; the bio keeps the pins of all
 * its pages. Runs that do not add up (a bug of the caller) fail the bio
 * with an I/O error instead of reaching the device.
 */
void rext2_bio_submit_runs(struct bio *bio, const u64 *sectors, const u32 *bytes,
			   unsigned int n)
{
	struct blk_plug plug;
	u64 total = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (!bytes[i] || bytes[i] & (SECTOR_SIZE - 1))
			break;
		total += bytes[i];
	}
	if (!n || i < n || total != bio->bi_iter.bi_size) {
		bio->bi_status = BLK_STS_IOERR;
		bio_endio(bio);
		return;
	}
	if (n > 1)
		blk_start_plug(&plug);
	for (i = 0; i + 1 < n; i++) {
		struct bio *front = bio_split(bio, bytes[i] >> SECTOR_SHIFT, GFP_NOIO,
					      &fs_bio_set);

		if (IS_ERR(front)) {
			/* Completes once the runs already submitted have. */
			bio->bi_status = BLK_STS_RESOURCE;
			bio_endio(bio);
			goto out;
		}
		front->bi_iter.bi_sector = sectors[i];
		bio_chain(front, bio);
		submit_bio(front);
	}
	bio->bi_iter.bi_sector = sectors[n - 1];
	submit_bio(bio);
out:
	if (n > 1)
		blk_finish_plug(&plug);
}

static void rext2_bio_end_io_waited(struct bio *bio)
{
	struct task_struct *waiter = bio->bi_private;

	/* Pairs with the acquire in rext2_bio_wait(): bi_status is visible. */
	smp_store_release(&bio->bi_private, NULL);
	blk_wake_io_task(waiter);
}

void rext2_bio_submit_waited(struct bio *bio, const u64 *sectors, const u32 *bytes,
			     unsigned int n)
{
	bio->bi_private = current;
	bio->bi_end_io = rext2_bio_end_io_waited;
	rext2_bio_submit_runs(bio, sectors, bytes, n);
}

int rext2_bio_wait(struct bio *bio, bool mark_dirty)
{
	int err;

	for (;;) {
		set_current_state(TASK_UNINTERRUPTIBLE);
		if (!smp_load_acquire(&bio->bi_private))
			break;
		/* An I/O wait; waking twice a second keeps the hung-task check quiet. */
		io_schedule_timeout(HZ / 2);
	}
	__set_current_state(TASK_RUNNING);
	err = blk_status_to_errno(bio->bi_status);
	bio_release_pages(bio, mark_dirty);
	bio_put(bio);
	return err;
}

struct bio *rext2_bio_next(struct bio *bio)
{
	return bio->bi_next;
}

void rext2_bio_set_next(struct bio *bio, struct bio *next)
{
	bio->bi_next = next;
}

struct task_struct *rext2_current_task(void)
{
	return current;
}

void rext2_set_task_uninterruptible(void)
{
	set_current_state(TASK_UNINTERRUPTIBLE);
}

/*
 * blk_io_schedule() is not exported: an I/O wait of at most half a second,
 * shorter than any hung-task timeout (1 s at least), so a long wait shows as
 * progress to the detector, as blk_io_schedule() arranges.
 */
void rext2_io_wait(void)
{
	io_schedule_timeout(HZ / 2);
	__set_current_state(TASK_RUNNING);
}

bool rext2_inode_has_pages(struct inode *inode)
{
	return READ_ONCE(inode->i_mapping->nrpages) != 0;
}

bool rext2_kiocb_is_dsync(const struct kiocb *iocb)
{
	return iocb_is_dsync(iocb);
}

bool rext2_kiocb_is_nowait(const struct kiocb *iocb)
{
	return iocb->ki_flags & IOCB_NOWAIT;
}

/* O_DSYNC or RWF_DSYNC (or a sync inode), but not O_SYNC: data sync. */
bool rext2_kiocb_is_dsync_only(const struct kiocb *iocb)
{
	return (iocb->ki_flags & (IOCB_DSYNC | IOCB_SYNC)) == IOCB_DSYNC;
}

/*
 * The write is durable already (written through): generic_write_sync(),
 * in the caller or at completion, has nothing left to do for it.
 */
void rext2_kiocb_clear_dsync(struct kiocb *iocb)
{
	iocb->ki_flags &= ~IOCB_DSYNC;
}

/* Forced unit access: the write is durable when it completes. */
void rext2_bio_set_fua(struct bio *bio)
{
	bio->bi_opf |= REQ_FUA;
}

/* The file takes IOCB_NOWAIT requests (io_uring issues them inline). */
void rext2_file_set_nowait(struct file *file)
{
	file->f_mode |= FMODE_NOWAIT;
}

/*
 * A C get_block_t through an on-stack buffer_head, as fs/direct-io.c's
 * get_more_blocks() calls it: b_size in, the mapping out.
 */
int rext2_call_get_block(int (*get_block)(struct inode *, sector_t,
					  struct buffer_head *, int),
			 struct inode *inode, sector_t iblock, size_t *size,
			 int create, u64 *pblk, unsigned int *state)
{
	struct buffer_head bh = { .b_size = *size };
	int ret = get_block(inode, iblock, &bh, create);

	*size = bh.b_size;
	*pblk = bh.b_blocknr;
	*state = (buffer_mapped(&bh) ? REXT2_GB_MAPPED : 0) |
		 (buffer_new(&bh) ? REXT2_GB_NEW : 0) |
		 (buffer_boundary(&bh) ? REXT2_GB_BOUNDARY : 0) |
		 (buffer_defer_completion(&bh) ? REXT2_GB_DEFER : 0);
	return ret;
}

void rext2_task_io_account_write(size_t bytes)
{
	task_io_account_write(bytes);
}

void rext2_bio_set_end_io(struct bio *bio, void (*end_io)(struct bio *), void *private)
{
	bio->bi_end_io = end_io;
	bio->bi_private = private;
}

void *rext2_bio_private(struct bio *bio)
{
	return bio->bi_private;
}

int rext2_bio_errno(struct bio *bio)
{
	return blk_status_to_errno(bio->bi_status);
}

struct block_device *rext2_sb_bdev(struct super_block *sb)
{
	return sb->s_bdev;
}

/* Read-write support. */

struct buffer_head *rext2_sb_getblk_zeroed(struct super_block *sb, sector_t block)
{
	struct buffer_head *bh = sb_getblk(sb, block);

	if (!bh)
		return NULL;
	lock_buffer(bh);
	memset(bh->b_data, 0, bh->b_size);
	set_buffer_uptodate(bh);
	unlock_buffer(bh);
	return bh;
}

void rext2_lock_buffer(struct buffer_head *bh)
{
	lock_buffer(bh);
}

void rext2_unlock_buffer(struct buffer_head *bh)
{
	unlock_buffer(bh);
}

bool rext2_buffer_write_io_error(struct buffer_head *bh)
{
	return buffer_write_io_error(bh);
}

void rext2_bforget(struct buffer_head *bh)
{
	bforget(bh);
}

void rext2_mark_inode_dirty(struct inode *inode)
{
	mark_inode_dirty(inode);
}

unsigned int rext2_inode_nlink(const struct inode *inode)
{
	return inode->i_nlink;
}

u32 rext2_i_uid_read(const struct inode *inode)
{
	return i_uid_read(inode);
}

u32 rext2_i_gid_read(const struct inode *inode)
{
	return i_gid_read(inode);
}

void rext2_inode_get_times(const struct inode *inode, s64 *atime, s64 *mtime, s64 *ctime)
{
	*atime = inode_get_atime_sec(inode);
	*mtime = inode_get_mtime_sec(inode);
	*ctime = inode_get_ctime_sec(inode);
}

void rext2_inode_touch_mc(struct inode *inode)
{
	inode_set_mtime_to_ts(inode, inode_set_ctime_current(inode));
}

void rext2_inode_touch_c(struct inode *inode)
{
	inode_set_ctime_current(inode);
}

void rext2_inode_touch_all(struct inode *inode)
{
	simple_inode_init_ts(inode);
}

struct address_space *rext2_inode_mapping(struct inode *inode)
{
	return inode->i_mapping;
}

struct inode *rext2_d_inode(const struct dentry *dentry)
{
	return d_inode(dentry);
}

void rext2_fileattr_fill(struct file_kattr *fa, u32 flags)
{
	fileattr_fill_flags(fa, flags);
}

int rext2_fileattr_flags(const struct file_kattr *fa, u32 *flags)
{
	/* ext2 has the FS_IOC_SETFLAGS flags only, no fsxattr fields. */
	if (fileattr_has_fsx(fa))
		return -EOPNOTSUPP;
	*flags = fa->flags;
	return 0;
}

int rext2_open_tmpfile(struct file *file, struct inode *inode)
{
	d_tmpfile(file, inode);
	unlock_new_inode(inode);
	return finish_open_simple(file, 0);
}

s64 rext2_real_seconds(void)
{
	return ktime_get_real_seconds();
}

bool rext2_capable_resource(void)
{
	return capable(CAP_SYS_RESOURCE);
}

void rext2_cond_resched(void)
{
	cond_resched();
}

bool rext2_wbc_sync_all(const struct writeback_control *wbc)
{
	return wbc->sync_mode == WB_SYNC_ALL;
}

bool rext2_dir_sync(struct inode *inode)
{
	return IS_DIRSYNC(inode);
}

struct page *rext2_zero_page(void)
{
	return ZERO_PAGE(0);
}

/* Asynchronous direct I/O completion. */

/* The superblock's direct-I/O completion workqueue, created on first use. */
int rext2_sb_dio_wq(struct super_block *sb)
{
	return sb->s_dio_done_wq ? 0 : sb_init_dio_done_wq(sb);
}

/* Any context: runs fn(work) on the workqueue rext2_sb_dio_wq() made. */
void rext2_queue_dio_work(struct super_block *sb, struct work_struct *work,
			  void (*fn)(struct work_struct *))
{
	INIT_WORK(work, fn);
	queue_work(sb->s_dio_done_wq, work);
}

void rext2_kiocb_complete(struct kiocb *iocb, long ret)
{
	iocb->ki_complete(iocb, ret);
}

void rext2_kiocb_advance(struct kiocb *iocb, size_t bytes)
{
	iocb->ki_pos += bytes;
}

long rext2_kiocb_write_sync(struct kiocb *iocb, long count)
{
	return generic_write_sync(iocb, count);
}

/*
 * kiocb_invalidate_post_direct_write() for a write that completed
 * asynchronously, before ki_pos moves past it (it and
 * dio_warn_stale_pagecache() are not exported).
 */
void rext2_kiocb_invalidate_written(struct kiocb *iocb, size_t count)
{
	struct file *file = iocb->ki_filp;
	struct address_space *mapping = file->f_mapping;

	if (!count || !mapping->nrpages)
		return;
	if (invalidate_inode_pages2_range(mapping, iocb->ki_pos >> PAGE_SHIFT,
					  (iocb->ki_pos + count - 1) >> PAGE_SHIFT)) {
		errseq_set(&mapping->wb_err, -EIO);
		pr_crit_ratelimited("rext2: page cache invalidation failed after a direct write to inode %llu; possible data corruption\n",
				    file_inode(file)->i_ino);
	}
}
