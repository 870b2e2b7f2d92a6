// SPDX-License-Identifier: GPL-2.0

//! Direct-I/O planning: the arithmetic and the bio-assembly state machine
//! of fs/direct-io.c (DIO-SPEC sections 1.8, 4 and 5), with no kernel type.
//!
//! Units: a *dio block* is the unit of the request, the fs block or, for
//! requests aligned only to the device's logical block, that logical block
//! (`blkfactor` = log2(fs block / dio block)). Disk positions are in dio
//! blocks; file positions in bytes.

/// Why planning stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PlanError<E> {
    /// An internal invariant failed (a zero-length chunk, a bio that cannot
    /// take one page): fs/direct-io.c has `BUG_ON` here, rext2 returns EIO.
    Invariant,
    /// The block mapper failed.
    Map(E),
}

/// The request's dio block size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DioBlock {
    /// log2 of the dio block size.
    pub(crate) bits: u32,
    /// log2 of (fs block size / dio block size).
    pub(crate) blkfactor: u32,
}

/// Picks the dio block for a request (DIO-SPEC 1.8): the fs block if the
/// file offset and every memory segment (`iter_align`, which includes the
/// length) are aligned to it, else the device's logical block if they are
/// aligned to that, else `None` (the caller returns -EINVAL).
pub(crate) fn dio_block(
    offset: u64,
    iter_align: u64,
    fs_bits: u32,
    lbs_bits: u32,
) -> Option<DioBlock> {
    let a = offset | iter_align;
    let aligned = |bits: u32| a & ((1u64 << bits) - 1) == 0;
    if aligned(fs_bits) {
        return Some(DioBlock {
            bits: fs_bits,
            blkfactor: 0,
        });
    }
    if lbs_bits <= fs_bits && aligned(lbs_bits) {
        return Some(DioBlock {
            bits: lbs_bits,
            blkfactor: fs_bits - lbs_bits,
        });
    }
    None
}

/// The block layer, as the assembler sees it.
pub(crate) trait BioSink {
    /// A page of the user's buffer.
    type Page: Copy + PartialEq;
    /// Starts a bio at disk dio block `block`, for file offset `pos` (no
    /// other bio is open).
    fn new_bio(&mut self, block: u64, pos: u64);
    /// Adds a page range to the open bio; `false` if the bio is full.
    fn add(&mut self, page: Self::Page, offset: u32, len: u32) -> bool;
    /// Submits the open bio.
    fn submit(&mut self);
    /// Observes an assembly decision (for the per-mount counters).
    fn note(&mut self, _event: AsmEvent) {}
}

/// Assembly decisions worth counting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AsmEvent {
    /// A chunk grew the deferred chunk instead of starting a new one.
    Merged,
    /// A bio was submitted early: the next chunk is elsewhere on disk.
    CutDisk,
    /// A bio was submitted early: the next chunk is elsewhere in the file.
    CutFile,
    /// A bio was full and another was started.
    CutFull,
    /// A boundary chunk's bio was submitted ahead of the next mapping.
    BoundaryFlush,
    /// Zeros were written into part of a newly allocated block.
    ZeroFill,
}

/// A piece of the request: `len` bytes at `offset` in `page`, which go to
/// (or come from) disk dio block `block` and file offset `pos`. The
/// assembler defers one chunk (`cur_page`) and grows it while the next
/// chunk continues it in the same page and on disk.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Chunk<P> {
    pub(crate) page: P,
    pub(crate) offset: u32,
    pub(crate) len: u32,
    /// Disk dio block of the chunk's first byte.
    pub(crate) block: u64,
    /// File offset of the chunk's first byte.
    pub(crate) pos: u64,
}

/// The bio under assembly.
#[derive(Clone, Copy, Debug)]
struct OpenBio {
    /// Disk dio block just past the bio's last byte.
    end_block: u64,
    /// File offset of the bio's first byte.
    pos: u64,
    bytes: u64,
}

/// The bio-assembly state machine (`submit_page_section`,
/// `dio_send_cur_page`, `dio_bio_submit`).
pub(crate) struct Assembler<P> {
    bits: u32,
    cur: Option<Chunk<P>>,
    bio: Option<OpenBio>,
}

impl<P: Copy + PartialEq> Assembler<P> {
    /// An assembler for dio blocks of `1 << bits` bytes.
    pub(crate) fn new(bits: u32) -> Self {
        Self {
            bits,
            cur: None,
            bio: None,
        }
    }

    /// Takes one chunk (`submit_page_section`). `boundary` says the chunk
    /// uses up a mapping whose next block needs a metadata read: the
    /// chunk's bio is submitted now, ahead of that read.
    pub(crate) fn section<S: BioSink<Page = P>, E>(
        &mut self,
        sink: &mut S,
        chunk: Chunk<P>,
        boundary: bool,
    ) -> Result<(), PlanError<E>> {
        let merged = match &mut self.cur {
            Some(c)
                if c.page == chunk.page
                    && c.offset + c.len == chunk.offset
                    && c.block + u64::from(c.len >> self.bits) == chunk.block =>
            {
                c.len += chunk.len;
                true
            }
            _ => false,
        };
        if merged {
            sink.note(AsmEvent::Merged);
        }
        if !merged {
            self.send_cur(sink)?;
            self.cur = Some(chunk);
        }
        if boundary {
            self.send_cur(sink)?;
            if self.bio.is_some() {
                sink.note(AsmEvent::BoundaryFlush);
            }
            self.submit(sink);
        }
        Ok(())
    }

    /// Sends the deferred chunk and submits the open bio (end of request).
    pub(crate) fn finish<S: BioSink<Page = P>, E>(
        &mut self,
        sink: &mut S,
    ) -> Result<(), PlanError<E>> {
        let r = self.send_cur(sink);
        self.submit(sink);
        r
    }

    fn submit<S: BioSink<Page = P>>(&mut self, sink: &mut S) {
        if self.bio.take().is_some() {
            sink.submit();
        }
    }

    /// Starts a bio at the chunk's disk block and file offset.
    fn open_bio<S: BioSink<Page = P>>(&mut self, sink: &mut S, c: &Chunk<P>) {
        sink.new_bio(c.block, c.pos);
        self.bio = Some(OpenBio {
            end_block: c.block,
            pos: c.pos,
            bytes: 0,
        });
    }

    /// Puts the deferred chunk into a bio, first submitting the open bio if
    /// the chunk does not continue it on disk and in the file.
    fn send_cur<S: BioSink<Page = P>, E>(&mut self, sink: &mut S) -> Result<(), PlanError<E>> {
        let Some(c) = self.cur.take() else {
            return Ok(());
        };
        if let Some(b) = self.bio {
            if b.end_block != c.block {
                sink.note(AsmEvent::CutDisk);
                self.submit(sink);
            } else if b.pos + b.bytes != c.pos {
                sink.note(AsmEvent::CutFile);
                self.submit(sink);
            }
        }
        if self.bio.is_none() {
            self.open_bio(sink, &c);
        }
        if !sink.add(c.page, c.offset, c.len) {
            // The bio is full: a fresh one must take at least one page.
            sink.note(AsmEvent::CutFull);
            self.submit(sink);
            self.open_bio(sink, &c);
            if !sink.add(c.page, c.offset, c.len) {
                return Err(PlanError::Invariant);
            }
        }
        if let Some(b) = &mut self.bio {
            b.end_block = c.block + u64::from(c.len >> self.bits);
            b.bytes += u64::from(c.len);
        }
        Ok(())
    }
}

/// Why the engine refuses a mapped run (see [`check_mapping`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BadMapping {
    /// A run of no block.
    ZeroLength,
    /// More blocks than were asked for.
    TooLong,
    /// Some of the run lies past the end of the device (or overflows).
    PastDevice,
    /// A block reported new where nothing was to be allocated.
    NewUnasked,
}

/// Checks a run of `len` fs blocks at disk block `pblk`, answering a
/// request for `max` blocks with or without `create`, on a device of
/// `dev_blocks` fs blocks. fs/direct-io.c trusts `get_block`; a wrong
/// answer here would be I/O to the wrong place on disk.
pub(crate) fn check_mapping(
    pblk: u64,
    len: u64,
    new: bool,
    max: u64,
    create: bool,
    dev_blocks: u64,
) -> Result<(), BadMapping> {
    if len == 0 {
        return Err(BadMapping::ZeroLength);
    }
    if len > max {
        return Err(BadMapping::TooLong);
    }
    match pblk.checked_add(len) {
        Some(end) if end <= dev_blocks => {}
        _ => return Err(BadMapping::PastDevice),
    }
    if new && !create {
        return Err(BadMapping::NewUnasked);
    }
    Ok(())
}

/// What the block mapper found at a fs block (the engine's view of
/// `get_block`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Found {
    Hole,
    Mapped {
        /// Disk fs block of the run's first block.
        pblk: u64,
        /// fs blocks in the run (>= 1).
        len: u64,
        new: bool,
        boundary: bool,
    },
}

/// One chunk of the main loop: as many dio blocks of the current page
/// segment (`off`, `len`) as the current mapping has left, handed to the
/// assembler (boundary set if the chunk uses the mapping up). Advances
/// the cursor (block in file, next disk block, blocks available) and
/// returns the chunk's bytes.
#[allow(clippy::too_many_arguments)]
fn chunk_step<S: BioSink, E>(
    asm: &mut Assembler<S::Page>,
    sink: &mut S,
    page: S::Page,
    off: u32,
    len: u32,
    final_block: u64,
    map_boundary: bool,
    cursor: (&mut u64, &mut u64, &mut u64),
) -> Result<u32, PlanError<E>> {
    let (block_in_file, next, available) = cursor;
    let bits = asm.bits;
    let blocks = (*available)
        .min(u64::from(len) >> bits)
        .min(final_block - *block_in_file);
    if blocks == 0 {
        return Err(PlanError::Invariant);
    }
    let bytes = (blocks << bits) as u32;
    let boundary = blocks == *available && map_boundary;
    let chunk = Chunk {
        page,
        offset: off,
        len: bytes,
        block: *next,
        pos: *block_in_file << bits,
    };
    asm.section(sink, chunk, boundary)?;
    *next += blocks;
    *block_in_file += blocks;
    *available -= blocks;
    Ok(bytes)
}

/// The filesystem side of a read, as the walker sees it.
pub(crate) trait ReadTarget: BioSink {
    /// Error type of the mapper.
    type Error;
    /// Maps fs blocks `fs_block..fs_block + max`.
    fn map(&mut self, fs_block: u64, max: u64) -> Result<Found, Self::Error>;
    /// Zero-fills `len` bytes at `offset` of `page` (a hole).
    fn zero(&mut self, page: Self::Page, offset: u32, len: u32) -> Result<(), Self::Error>;
    /// Current `i_size`, for the hole-or-EOF decision.
    fn i_size(&self) -> u64;
}

/// A read request: `count` bytes at file offset `pos`, in dio blocks `blk`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReadRequest {
    pub(crate) pos: u64,
    pub(crate) count: u64,
    pub(crate) blk: DioBlock,
}

/// Walks a read (`do_direct_IO` for READ): maps blocks, zero-fills holes,
/// stops at EOF, and feeds mapped chunks to the assembler. `segments` are
/// the user buffer's pieces in order, each (page, offset, len) aligned to
/// the dio block. Returns the bytes handled (read or zero-filled).
pub(crate) fn walk_read<T: ReadTarget>(
    req: &ReadRequest,
    segments: impl IntoIterator<Item = (T::Page, u32, u32)>,
    target: &mut T,
) -> Result<u64, PlanError<T::Error>> {
    let bits = req.blk.bits;
    let bf = req.blk.blkfactor;
    let bs = 1u64 << bits;
    let mut asm = Assembler::<T::Page>::new(bits);
    let mut block_in_file = req.pos >> bits;
    let final_block = (req.pos + req.count) >> bits;
    let mut available = 0u64;
    let mut next = 0u64;
    let mut map_boundary = false;
    let mut done = 0u64;
    'pages: for (page, mut off, mut len) in segments {
        while len > 0 && block_in_file < final_block {
            if available == 0 {
                let fs_start = block_in_file >> bf;
                let fs_end = (final_block - 1) >> bf;
                match target
                    .map(fs_start, fs_end - fs_start + 1)
                    .map_err(PlanError::Map)?
                {
                    Found::Hole => {
                        let eof_block = target.i_size().div_ceil(bs);
                        if block_in_file >= eof_block {
                            break 'pages;
                        }
                        target.zero(page, off, bs as u32).map_err(PlanError::Map)?;
                        block_in_file += 1;
                        off += bs as u32;
                        len -= bs as u32;
                        done += bs;
                        continue;
                    }
                    Found::Mapped {
                        pblk,
                        len: n,
                        boundary,
                        ..
                    } => {
                        let rem = block_in_file & ((1 << bf) - 1);
                        available = (n << bf) - rem;
                        next = (pblk << bf) + rem;
                        map_boundary = boundary;
                    }
                }
            }
            let bytes = chunk_step(
                &mut asm,
                target,
                page,
                off,
                len,
                final_block,
                map_boundary,
                (&mut block_in_file, &mut next, &mut available),
            )?;
            off += bytes;
            len -= bytes;
            done += u64::from(bytes);
        }
        if block_in_file >= final_block {
            break;
        }
    }
    asm.finish(target)?;
    Ok(done)
}

/// The filesystem side of a write, as the walker sees it.
pub(crate) trait WriteTarget: BioSink {
    /// Error type of the mapper.
    type Error;
    /// Maps fs blocks `fs_block..fs_block + max`, allocating a hole if
    /// `create`.
    fn map(&mut self, fs_block: u64, max: u64, create: bool) -> Result<Found, Self::Error>;
    /// Fs blocks `pblk..pblk + len` were just allocated: forget any stale
    /// buffer-cache copy (`clean_bdev_aliases`).
    fn new_blocks(&mut self, pblk: u64, len: u64);
    /// The page of zeros written by sub-block zeroing.
    fn zero_page(&self) -> Self::Page;
    /// Current `i_size` (the hole-filling rule reads it per mapping).
    fn i_size(&self) -> u64;
    /// `DIO_SKIP_HOLES`: holes inside `i_size` are not filled.
    fn skip_holes(&self) -> bool {
        true
    }
}

/// Walks a write (`do_direct_IO` for WRITE): with `DIO_SKIP_HOLES`, no
/// block that overlaps `[0, i_size)` is allocated, so a hole there stops
/// the walk (fs/direct-io.c's -ENOTBLK: the caller writes the rest
/// buffered), and without it every hole is allocated;
/// blocks past the last one holding data are allocated, and with
/// `blkfactor > 0` the parts of a new fs block the request does not cover
/// are written from the zero page, before the first chunk (once) and
/// after the last (always, even when the walk stops early). Returns the
/// data bytes handed to bios (zeros not counted).
pub(crate) fn walk_write<T: WriteTarget>(
    req: &ReadRequest,
    segments: impl IntoIterator<Item = (T::Page, u32, u32)>,
    target: &mut T,
) -> Result<u64, PlanError<T::Error>> {
    let bits = req.blk.bits;
    let bf = req.blk.blkfactor;
    let per_fs = 1u64 << bf;
    let mut asm = Assembler::<T::Page>::new(bits);
    let mut block_in_file = req.pos >> bits;
    let final_block = (req.pos + req.count) >> bits;
    let mut available = 0u64;
    let mut next = 0u64;
    let mut map_boundary = false;
    let mut map_new = false;
    let mut start_zero_done = false;
    let mut done = 0u64;
    let mut result = Ok(());
    'pages: for (page, mut off, mut len) in segments {
        while len > 0 && block_in_file < final_block {
            if available == 0 {
                let fs_start = block_in_file >> bf;
                let fs_end = (final_block - 1) >> bf;
                let i_size = target.i_size();
                let create =
                    !(target.skip_holes() && i_size > 0 && fs_start <= (i_size - 1) >> (bits + bf));
                let found = match target.map(fs_start, fs_end - fs_start + 1, create) {
                    Ok(f) => f,
                    Err(e) => {
                        result = Err(PlanError::Map(e));
                        break 'pages;
                    }
                };
                let Found::Mapped {
                    pblk,
                    len: n,
                    new,
                    boundary,
                } = found
                else {
                    // A hole inside i_size: the rest goes buffered.
                    break 'pages;
                };
                if new {
                    target.new_blocks(pblk, n);
                }
                let rem = block_in_file & (per_fs - 1);
                available = (n << bf) - rem;
                next = pblk << bf;
                map_new = new;
                map_boundary = boundary;
                if !start_zero_done {
                    start_zero_done = true;
                    if new && rem > 0 {
                        let zero = Chunk {
                            page: target.zero_page(),
                            offset: 0,
                            len: (rem << bits) as u32,
                            block: next,
                            pos: block_in_file << bits,
                        };
                        if let Err(e) = asm.section(target, zero, false) {
                            result = Err(e);
                            break 'pages;
                        }
                        target.note(AsmEvent::ZeroFill);
                    }
                }
                next += rem;
            }
            let step = chunk_step(
                &mut asm,
                target,
                page,
                off,
                len,
                final_block,
                map_boundary,
                (&mut block_in_file, &mut next, &mut available),
            );
            let bytes = match step {
                Ok(b) => b,
                Err(e) => {
                    result = Err(e);
                    break 'pages;
                }
            };
            off += bytes;
            len -= bytes;
            done += u64::from(bytes);
        }
        if block_in_file >= final_block {
            break;
        }
    }
    // Tail zeroing runs whatever happened above (DIO-SPEC 6.2).
    let k = block_in_file & (per_fs - 1);
    if map_new && k > 0 {
        let zero = Chunk {
            page: target.zero_page(),
            offset: 0,
            len: ((per_fs - k) << bits) as u32,
            block: next,
            pos: block_in_file << bits,
        };
        let r = asm.section(target, zero, false);
        target.note(AsmEvent::ZeroFill);
        if result.is_ok() {
            result = r;
        }
    }
    let r = asm.finish(target);
    result?;
    r?;
    Ok(done)
}
