/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Input of rext2's delta bindgen run: the headers whose items
 * kernel::bindings lacks (or has only as opaque types), plus the shims.
 */
#include <linux/blkdev.h>
#include <linux/buffer_head.h>
#include <linux/exportfs.h>
#include <linux/fiemap.h>
#include <linux/filelock.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/mpage.h>
#include <linux/pagemap.h>
#include <linux/statfs.h>
#include <linux/writeback.h>
#include "shim.h"

/* Macro constants bindgen cannot evaluate, as typed constants. */
const unsigned int REXT2_SB_RDONLY = SB_RDONLY;
const unsigned int REXT2_SB_SILENT = SB_SILENT;
const unsigned int REXT2_FIEMAP_EXTENT_LAST = FIEMAP_EXTENT_LAST;
const int REXT2_DIO_LOCKING = DIO_LOCKING;
const int REXT2_IOCB_NOWAIT = IOCB_NOWAIT;
const int REXT2_DIO_SKIP_HOLES = DIO_SKIP_HOLES;
