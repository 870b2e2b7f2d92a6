// SPDX-License-Identifier: GPL-2.0
/*
 * The engine's C entry point, exported for C filesystems: exactly the
 * signature of __blockdev_direct_IO() (checked at compile time below).
 */
#include <linux/build_bug.h>
#include <linux/export.h>
#include "dio_entry.h"

ssize_t rext2_blockdev_direct_IO(struct kiocb *iocb, struct inode *inode,
				 struct block_device *bdev, struct iov_iter *iter,
				 get_block_t get_block, dio_iodone_t end_io,
				 int flags)
{
	return rext2_dio_from_c(iocb, inode, bdev, iter, get_block, end_io, flags);
}
EXPORT_SYMBOL_GPL(rext2_blockdev_direct_IO);

static_assert(__same_type(&rext2_blockdev_direct_IO, &__blockdev_direct_IO),
	      "rext2_blockdev_direct_IO must match __blockdev_direct_IO");
