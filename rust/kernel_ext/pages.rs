// SPDX-License-Identifier: GPL-2.0

//! User pages extracted from an iov_iter, pinned for the duration of the
//! I/O and released exactly once, when the batch is dropped.

use super::kiocb::IovIter;
use super::sys;
use core::cell::Cell;
use core::marker::PhantomData;
use core::mem::MaybeUninit;
use core::ptr::NonNull;
use kernel::page::PAGE_SIZE;
use kernel::prelude::*;

/// Pages per batch: as many as one bio can carry (BIO_MAX_VECS), so a
/// 1 MiB request of 4 KiB pages is a single round.
pub(crate) const BATCH_PAGES: usize = sys::BIO_MAX_VECS as usize;

/// A run of consecutive pages from one extraction.
#[derive(Clone, Copy)]
struct Run {
    first: u32,
    offset: u32,
    bytes: u32,
}

/// Up to `BATCH_PAGES` pages of the user's buffer. About 5 KiB: it lives
/// in the request's one heap allocation (see `super::request`), not on
/// the stack, and only its counts are initialised: the arrays are written
/// as pages are extracted, so a 4 KiB request touches a few cache lines of
/// it, not all of them.
///
/// # Invariants
///
/// `pages[..n]` and `runs[..nruns]` are initialised; `pages[..n]` are pages
/// returned by `iov_iter_extract_pages`; if `pinned`, each holds one pin,
/// which this batch owns and releases in [`PageBatch::clear`] or Drop
/// (marking the page dirty first if `dirty`) unless its bit in `given` is
/// set: then the pin was handed to the bio that took the last piece of
/// the page's segment. Every other bio that uses a page takes a pin of
/// its own (see `super::request`), so the batch may be released while
/// its bios are in flight. `given` has no bit set at or past `n`.
/// Unpinned pages belong to a kernel iterator whose owner keeps them
/// alive until the request completes.
pub(crate) struct PageBatch {
    pages: [MaybeUninit<*mut sys::page>; BATCH_PAGES],
    n: usize,
    runs: [MaybeUninit<Run>; BATCH_PAGES],
    nruns: usize,
    given: [Cell<u64>; BATCH_PAGES / 64],
    pinned: bool,
    dirty: bool,
}

/// A page of a batch (or the zero page), valid while the batch is
/// borrowed. Two are equal if they are the same page of the same batch,
/// whichever entries they came from: the assembler then merges adjacent
/// pieces of it into one range, which a bio takes with one pin.
#[derive(Clone, Copy)]
pub(crate) struct PageRef<'a> {
    page: NonNull<sys::page>,
    /// The batch that holds the page; null for the zero page.
    owner: *const PageBatch,
    /// The page's entry in the batch.
    index: u32,
    /// Where the page's segment ends in it (its last byte + 1).
    seg_end: u32,
    _p: PhantomData<&'a PageBatch>,
}

impl PageBatch {
    /// An empty batch, to be written in place (see `super::request`), for
    /// pages that carry pins (`pinned`: user memory) or not; `dirty` marks
    /// pages dirty on release (reads into user memory).
    pub(super) fn init(pinned: bool, dirty: bool) -> impl Init<Self> {
        // Uninitialised array elements compile to no store at all.
        init!(Self {
            pages: [const { MaybeUninit::uninit() }; BATCH_PAGES],
            n: 0,
            runs: [const { MaybeUninit::uninit() }; BATCH_PAGES],
            nruns: 0,
            given: [const { Cell::new(0) }; BATCH_PAGES / 64],
            pinned,
            dirty,
        })
    }

    /// Whether the batch's pages carry pins (user memory).
    pub(super) fn is_pinned(&self) -> bool {
        self.pinned
    }

    /// Releases the pages (as Drop does) and empties the batch for the
    /// next round.
    pub(crate) fn clear(&mut self) {
        self.release();
        for w in &self.given[..self.n.div_ceil(64)] {
            w.set(0);
        }
        self.n = 0;
        self.nruns = 0;
    }

    fn release(&mut self) {
        if !self.pinned {
            return;
        }
        // The runs of entries whose pin the batch still owns.
        let mut i = 0;
        while i < self.n {
            if self.is_given(i) {
                i += 1;
                continue;
            }
            let start = i;
            while i < self.n && !self.is_given(i) {
                i += 1;
            }
            // SAFETY: pages `start..i` carry one pin each that this batch
            // owns (type invariant: not given); they are released here,
            // once (`clear` empties the batch right after, Drop ends it).
            // This runs in the submitting task, where dirtying may sleep.
            unsafe {
                sys::unpin_user_pages_dirty_lock(
                    self.pages.as_mut_ptr().add(start).cast::<*mut sys::page>(),
                    i - start,
                    self.dirty,
                )
            };
        }
    }

    fn is_given(&self, i: usize) -> bool {
        self.given[i / 64].get() & (1 << (i % 64)) != 0
    }

    /// Whether a bio that adds `len` bytes at `offset` of `page` may take
    /// the batch's pin instead of one of its own: the range is the last
    /// of the page's segment (no later piece of the batch uses the page)
    /// and the pin is still the batch's.
    pub(super) fn may_give(&self, page: &PageRef<'_>, offset: u32, len: u32) -> bool {
        self.pinned
            && !page.is_zero_page()
            && core::ptr::eq(page.owner, self)
            && offset + len == page.seg_end
            && (page.index as usize) < self.n
            && !self.is_given(page.index as usize)
    }

    /// Records that a bio now owns `page`'s pin (see [`Self::may_give`]):
    /// the batch no longer releases it.
    ///
    /// # Safety
    ///
    /// [`Self::may_give`] said yes for the page, and a bio that releases
    /// its pages' pins on completion has taken the page since.
    pub(super) unsafe fn give(&self, page: &PageRef<'_>) {
        let w = &self.given[page.index as usize / 64];
        w.set(w.get() | 1 << (page.index % 64));
    }

    /// Extracts up to `max` more bytes from `iter` (advancing it); returns
    /// how many bytes the batch now holds. Stops when the batch is full.
    pub(crate) fn fill(&mut self, iter: &mut IovIter<'_>, max: usize) -> Result<usize> {
        let mut total: usize = self.runs().iter().map(|r| r.bytes as usize).sum();
        while total < max && self.n < BATCH_PAGES && iter.count() > 0 {
            let room = BATCH_PAGES - self.n;
            let mut array: *mut *mut sys::page = self.pages[self.n].as_mut_ptr();
            let mut offset: usize = 0;
            // SAFETY: `array` points at `room` free slots of `self.pages`,
            // which iov_iter_extract_pages fills (it does not allocate when
            // handed an array); `iter` is live and ours.
            let got = unsafe {
                sys::iov_iter_extract_pages(
                    iter.as_ptr(),
                    &mut array,
                    max - total,
                    room as u32,
                    0,
                    &mut offset,
                )
            };
            if got < 0 {
                return if total > 0 {
                    Ok(total)
                } else {
                    Err(Error::from_errno(got as i32))
                };
            }
            let got = got as usize;
            if got == 0 {
                break;
            }
            let npages = (offset + got).div_ceil(PAGE_SIZE);
            self.runs[self.nruns].write(Run {
                first: self.n as u32,
                offset: offset as u32,
                bytes: got as u32,
            });
            self.nruns += 1;
            self.n += npages;
            total += got;
        }
        Ok(total)
    }

    /// Puts the last `bytes` of what [`PageBatch::fill`] took back into
    /// `iter`, for the next round to take again; their pages stay in the
    /// batch, unused, until [`PageBatch::clear`]. Does nothing unless
    /// `bytes` is less than the batch holds.
    pub(crate) fn give_back(&mut self, iter: &mut IovIter<'_>, bytes: usize) {
        let held: usize = self.runs().iter().map(|r| r.bytes as usize).sum();
        if bytes == 0 || bytes >= held {
            return;
        }
        // Less than what `fill` advanced `iter` by since the last `clear`
        // (`held`): the revert stays inside what this batch took from it.
        iter.revert(bytes);
    }

    /// The batch's pieces, in order: (page, offset, length), each within
    /// one page.
    pub(crate) fn segments(&self) -> impl Iterator<Item = (PageRef<'_>, u32, u32)> + '_ {
        let owner: *const Self = self;
        let pages = self.pages();
        self.runs().iter().flat_map(move |r| {
            let mut left = r.bytes as usize;
            let mut off = r.offset as usize;
            (r.first as usize..).map_while(move |i| {
                if left == 0 {
                    return None;
                }
                let len = left.min(PAGE_SIZE - off);
                let page = NonNull::new(*pages.get(i)?)?;
                let item = (
                    PageRef {
                        page,
                        owner,
                        index: i as u32,
                        seg_end: (off + len) as u32,
                        _p: PhantomData,
                    },
                    off as u32,
                    len as u32,
                );
                left -= len;
                off = 0;
                Some(item)
            })
        })
    }
}

impl PageBatch {
    fn pages(&self) -> &[*mut sys::page] {
        // SAFETY: `pages[..n]` are initialised (type invariant), and
        // `MaybeUninit<T>` has `T`'s layout.
        unsafe { core::slice::from_raw_parts(self.pages.as_ptr().cast(), self.n) }
    }

    fn runs(&self) -> &[Run] {
        // SAFETY: `runs[..nruns]` are initialised (type invariant).
        unsafe { core::slice::from_raw_parts(self.runs.as_ptr().cast(), self.nruns) }
    }
}

impl Drop for PageBatch {
    fn drop(&mut self) {
        self.release();
    }
}

impl PartialEq for PageRef<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.page == other.page && core::ptr::eq(self.owner, other.owner)
    }
}

impl Eq for PageRef<'_> {}

impl PageRef<'_> {
    pub(super) fn as_ptr(&self) -> *mut sys::page {
        self.page.as_ptr()
    }

    /// Whether this is the shared zero page.
    pub(super) fn is_zero_page(&self) -> bool {
        self.owner.is_null()
    }

    /// Whether the page is `batch`'s or the zero page.
    pub(super) fn is_of(&self, batch: &PageBatch) -> bool {
        self.owner.is_null() || core::ptr::eq(self.owner, batch)
    }

    /// The shared zero page, for writing zeros (never written to itself:
    /// only write bios and nothing else may use it).
    pub(crate) fn zero_page() -> Self {
        // SAFETY: `ZERO_PAGE` is a permanent page of the kernel image.
        let p = unsafe { sys::rext2_zero_page() };
        Self {
            page: NonNull::new(p).unwrap_or(NonNull::dangling()),
            owner: core::ptr::null(),
            index: 0,
            seg_end: 0,
            _p: PhantomData,
        }
    }

    /// Zero-fills `len` bytes at `offset` of the page.
    pub(crate) fn zero(&self, offset: u32, len: u32) -> Result {
        if offset as usize + len as usize > PAGE_SIZE {
            return Err(EINVAL);
        }
        // SAFETY: the page is held by its batch for the borrow `'a`; the
        // range is inside the page.
        unsafe { sys::rext2_zero_page_range(self.as_ptr(), offset, len) };
        Ok(())
    }
}
