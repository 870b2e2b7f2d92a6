/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rext2's direct-I/O engine as a drop-in for fs/direct-io.c: a C
 * filesystem built with -D__blockdev_direct_IO=rext2_blockdev_direct_IO
 * calls it wherever it called __blockdev_direct_IO() (directly or through
 * blockdev_direct_IO()). See Documentation/c-callers.rst.
 */
#ifndef REXT2_DIO_ENTRY_H
#define REXT2_DIO_ENTRY_H

#include <linux/fs.h>
#include <linux/buffer_head.h>

ssize_t rext2_blockdev_direct_IO(struct kiocb *iocb, struct inode *inode,
				 struct block_device *bdev, struct iov_iter *iter,
				 get_block_t get_block, dio_iodone_t end_io,
				 int flags);

/* The Rust side (rust/kernel_ext/c_dio.rs). */
ssize_t rext2_dio_from_c(struct kiocb *iocb, struct inode *inode,
			 struct block_device *bdev, struct iov_iter *iter,
			 get_block_t get_block, dio_iodone_t end_io, int flags);

#endif /* REXT2_DIO_ENTRY_H */
