/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C shims for the static inline functions and macros rext2 calls. Each is a
 * one-line forwarder; the Rust side sees them through the delta bindings.
 */
#ifndef REXT2_SHIM_H
#define REXT2_SHIM_H

#include <linux/types.h>

struct super_block;
struct inode;
struct buffer_head;
struct kmem_cache;
struct dir_context;
struct timespec64;
struct block_device;
struct delayed_call;
struct kstatfs;
struct dentry;

struct buffer_head *rext2_sb_bread(struct super_block *sb, sector_t block);
struct buffer_head *rext2_sb_find_block(struct super_block *sb, sector_t block);
void rext2_brelse(struct buffer_head *bh);
void *rext2_bh_data(struct buffer_head *bh);
size_t rext2_bh_size(struct buffer_head *bh);
void rext2_map_bh(struct buffer_head *bh, struct super_block *sb, sector_t block);
void rext2_set_buffer_new(struct buffer_head *bh);
void rext2_set_buffer_boundary(struct buffer_head *bh);
void rext2_bh_set_size(struct buffer_head *bh, size_t size);
size_t rext2_bh_get_size(struct buffer_head *bh);

struct kmem_cache *rext2_kmem_cache_create(const char *name, unsigned int size,
					   unsigned int align,
					   void (*ctor)(void *));
void *rext2_alloc_inode_sb(struct super_block *sb, struct kmem_cache *cache);
struct kmem_cache *rext2_object_cache_create(const char *name, unsigned int size,
					     unsigned int align);
void *rext2_object_cache_alloc(struct kmem_cache *cache);

void rext2_i_uid_write(struct inode *inode, u32 uid);
void rext2_i_gid_write(struct inode *inode, u32 gid);
void rext2_i_size_write(struct inode *inode, loff_t size);
loff_t rext2_i_size_read(const struct inode *inode);
void rext2_inode_set_times(struct inode *inode, s64 atime, s64 mtime, s64 ctime);
void rext2_inode_set_ops_reg(struct inode *inode, const void *iops,
			     const void *fops, const void *aops);
void rext2_inode_set_fop(struct inode *inode, const void *fops);

bool rext2_dir_emit(struct dir_context *ctx, const char *name, int len,
		    u64 ino, unsigned int type);

u64 rext2_bdev_nr_bytes(struct block_device *bdev);
bool rext2_bdev_nowait(struct block_device *bdev);
bool rext2_bdev_write_cache(struct block_device *bdev);
bool rext2_bdev_fua(struct block_device *bdev);
unsigned int rext2_bdev_logical_block_size(struct block_device *bdev);
bool rext2_sb_rdonly(const struct super_block *sb);
bool rext2_sb_has_orphans(struct super_block *sb);
bool rext2_inode_is_new(struct inode *inode);
bool rext2_inode_datasync_dirty(struct inode *inode);
void rext2_set_inode_metadata_writeback(struct inode *inode);
void rext2_inode_set_iop(struct inode *inode, const void *iops);
const unsigned char *rext2_dentry_name(const struct dentry *dentry, u32 *len);
void rext2_set_delayed_call(struct delayed_call *call, void (*fn)(void *), void *arg);

/* Direct I/O. */
struct kiocb;
struct iov_iter;
struct page;
struct bio;
struct blk_plug;
bool rext2_iov_iter_is_source(const struct iov_iter *i);
bool rext2_iov_iter_will_pin(const struct iov_iter *i);
struct inode *rext2_kiocb_inode(const struct kiocb *iocb);
void rext2_inode_dio_begin(struct inode *inode);
void rext2_inode_dio_end(struct inode *inode);
void rext2_inode_lock(struct inode *inode);
void rext2_inode_unlock(struct inode *inode);
void rext2_inode_lock_shared(struct inode *inode);
bool rext2_inode_trylock_shared(struct inode *inode);
void rext2_inode_unlock_shared(struct inode *inode);
void rext2_zero_page_range(struct page *page, unsigned int off, unsigned int len);
struct task_struct;
struct bio *rext2_bio_alloc_dio(struct block_device *bdev, struct kiocb *iocb,
				unsigned short nr_vecs, sector_t sector, bool write,
				bool pinned);
bool rext2_bio_add_page_pinned(struct bio *bio, struct page *page, unsigned int len,
			       unsigned int off, bool pin);
void rext2_bio_set_pages_dirty(struct bio *bio);
bool rext2_bio_pages_dirty(struct bio *bio);
void rext2_bio_release(struct bio *bio, bool mark_dirty);
int rext2_one_bio_set_init(unsigned int front_pad);
void rext2_one_bio_set_exit(void);
void *rext2_one_bio_front(struct bio *bio);
void rext2_bio_release_pages(struct bio *bio, bool mark_dirty);
void rext2_bio_put(struct bio *bio);
struct bio *rext2_bio_alloc_for_iter(struct block_device *bdev, struct kiocb *iocb,
				     struct iov_iter *iter, size_t max, bool write);
void rext2_bio_submit_runs(struct bio *bio, const u64 *sectors, const u32 *bytes,
			   unsigned int n);
ssize_t rext2_bio_add_iter(struct bio *bio, struct iov_iter *iter, size_t max,
			   unsigned int len_mask);
void rext2_iov_iter_revert(struct iov_iter *iter, size_t bytes);
void rext2_bio_submit_waited(struct bio *bio, const u64 *sectors, const u32 *bytes,
			     unsigned int n);
int rext2_bio_wait(struct bio *bio, bool mark_dirty);
struct bio *rext2_bio_next(struct bio *bio);
void rext2_bio_set_next(struct bio *bio, struct bio *next);
struct task_struct *rext2_current_task(void);
void rext2_set_task_uninterruptible(void);
void rext2_io_wait(void);
bool rext2_inode_has_pages(struct inode *inode);
bool rext2_kiocb_is_dsync(const struct kiocb *iocb);
bool rext2_kiocb_is_nowait(const struct kiocb *iocb);
bool rext2_kiocb_is_dsync_only(const struct kiocb *iocb);
void rext2_kiocb_clear_dsync(struct kiocb *iocb);
void rext2_bio_set_fua(struct bio *bio);
struct file;
void rext2_file_set_nowait(struct file *file);
void rext2_task_io_account_write(size_t bytes);
#define REXT2_GB_MAPPED 1U
#define REXT2_GB_NEW 2U
#define REXT2_GB_BOUNDARY 4U
#define REXT2_GB_DEFER 8U
int rext2_call_get_block(int (*get_block)(struct inode *, sector_t,
					  struct buffer_head *, int),
			 struct inode *inode, sector_t iblock, size_t *size,
			 int create, u64 *pblk, unsigned int *state);
struct page *rext2_zero_page(void);
void rext2_bio_set_end_io(struct bio *bio, void (*end_io)(struct bio *), void *private);
bool rext2_bio_set_polled(struct bio *bio, struct kiocb *iocb);
void rext2_kiocb_clear_polled(struct kiocb *iocb);
void *rext2_bio_private(struct bio *bio);
int rext2_bio_errno(struct bio *bio);
struct block_device *rext2_sb_bdev(struct super_block *sb);
struct work_struct;
int rext2_sb_dio_wq(struct super_block *sb);
void rext2_queue_dio_work(struct super_block *sb, struct work_struct *work,
			  void (*fn)(struct work_struct *));
void rext2_kiocb_complete(struct kiocb *iocb, long ret);
void rext2_kiocb_advance(struct kiocb *iocb, size_t bytes);
long rext2_kiocb_write_sync(struct kiocb *iocb, long count);
void rext2_kiocb_invalidate_written(struct kiocb *iocb, size_t count);

/* Read-write support. */
struct address_space;
struct writeback_control;
struct buffer_head *rext2_sb_getblk_zeroed(struct super_block *sb, sector_t block);
void rext2_lock_buffer(struct buffer_head *bh);
void rext2_unlock_buffer(struct buffer_head *bh);
bool rext2_buffer_write_io_error(struct buffer_head *bh);
void rext2_bforget(struct buffer_head *bh);
void rext2_mark_inode_dirty(struct inode *inode);
unsigned int rext2_inode_nlink(const struct inode *inode);
u32 rext2_i_uid_read(const struct inode *inode);
u32 rext2_i_gid_read(const struct inode *inode);
void rext2_inode_get_times(const struct inode *inode, s64 *atime, s64 *mtime, s64 *ctime);
void rext2_inode_touch_mc(struct inode *inode);
void rext2_inode_touch_c(struct inode *inode);
void rext2_inode_touch_all(struct inode *inode);
struct address_space *rext2_inode_mapping(struct inode *inode);
struct inode *rext2_d_inode(const struct dentry *dentry);
struct file_kattr;
struct file;
void rext2_fileattr_fill(struct file_kattr *fa, u32 flags);
int rext2_fileattr_flags(const struct file_kattr *fa, u32 *flags);
int rext2_open_tmpfile(struct file *file, struct inode *inode);
s64 rext2_real_seconds(void);
bool rext2_capable_resource(void);
void rext2_cond_resched(void);
bool rext2_wbc_sync_all(const struct writeback_control *wbc);
bool rext2_dir_sync(struct inode *inode);

#endif /* REXT2_SHIM_H */
