//! A part's XML read through a window of bounded size, one whole unit (a row, a shared
//! string) at a time, with quick-xml's borrowing reader over the window.
//!
//! Why not quick-xml over a buffered reader: that copies every event into a buffer of its
//! own (a tenth of the read's time), and why not inflate a part whole: a sheet of a million
//! rows is 600 MB of XML. A unit that reaches the window's end is not read from half its
//! bytes: it is read again from its start once the window has moved on (and has grown, when
//! one unit is larger than the whole window), so a cut anywhere reads as no cut at all.

use std::io::Read;

use quick_xml::Reader;
use quick_xml::events::Event;

/// Why a unit of a part stopped being read.
pub(super) enum Stop {
    /// Too many cells (the collector's error).
    Read(super::ReadError),
    /// The XML is not a readable part.
    Xml(String),
    /// The unit goes on past the window's end; the XML error, if that is how it showed,
    /// in case the unit never fits.
    More(Option<String>),
    /// A row comes after a later one ([`super::Cells::push_in_order`]).
    OutOfOrder,
    /// Whoever the rows are handed to wants no more ([`super::RowSink`]).
    Halt,
}

impl Stop {
    /// What went wrong, in words.
    pub(super) fn detail(&self) -> String {
        match self {
            Stop::Read(e) => e.to_string(),
            Stop::Xml(detail) | Stop::More(Some(detail)) => detail.clone(),
            Stop::More(None) => "the part ends early".into(),
            Stop::OutOfOrder => "the rows are out of order".into(),
            Stop::Halt => "the read was stopped".into(),
        }
    }
}

impl From<super::ReadError> for Stop {
    fn from(e: super::ReadError) -> Stop {
        Stop::Read(e)
    }
}

/// The first window's size: a few hundred rows of a typical sheet, small enough to stay in
/// the processor's cache while it is read.
pub(super) const WINDOW: usize = 128 << 10;

/// The most one unit (a row, a string) may take: far beyond Excel's own limits (16,384
/// cells of up to 32,767 characters would be larger, but no mailing list is).
pub(super) const MAX_UNIT: usize = 64 << 20;

/// An XML reader over the window's bytes, as Excel's parts need it: empty elements as start
/// and end, text untrimmed, end names unchecked (as calamine reads them). Before the part's
/// last bytes are in the window, its end (text running to it, the end of the input, an error
/// there) is [`Stop::More`], not the part's end.
pub(super) struct Xml<'w> {
    reader: Reader<&'w [u8]>,
    len: usize,
    last: bool,
    /// How many elements are open: a reader started in the middle of a part does not know,
    /// so the window tells it, and it checks close tags against this count as quick-xml
    /// does against its own.
    depth: usize,
}

impl<'w> Xml<'w> {
    pub(super) fn new(data: &'w [u8], last: bool) -> Xml<'w> {
        Xml::at_depth(data, last, 0)
    }

    fn at_depth(data: &'w [u8], last: bool, depth: usize) -> Xml<'w> {
        let mut reader = Reader::from_reader(data);
        let config = reader.config_mut();
        config.check_end_names = false;
        config.trim_text(false);
        config.check_comments = false;
        config.expand_empty_elements = true;
        config.allow_unmatched_ends = true;
        Xml { reader, len: data.len(), last, depth }
    }

    /// The next event.
    pub(super) fn next(&mut self) -> Result<Event<'w>, Stop> {
        match self.reader.read_event() {
            Ok(Event::Eof) if !self.last => Err(Stop::More(None)),
            // Text cut by the window's end: a value is parsed at its text, before its end
            // tag would be missed ("pla" of "plain" is no number).
            Ok(Event::Text(_)) if !self.last && self.position() >= self.len => Err(Stop::More(None)),
            Ok(Event::Start(e)) => {
                self.depth += 1;
                Ok(Event::Start(e))
            }
            Ok(Event::End(e)) => match self.depth.checked_sub(1) {
                Some(depth) => {
                    self.depth = depth;
                    Ok(Event::End(e))
                }
                None => Err(Stop::Xml(format!(
                    "ill-formed document: close tag `</{}>` does not match any open tag",
                    e.name().as_ref()
                ))),
            },
            Ok(event) => Ok(event),
            Err(e) if !self.last => Err(Stop::More(Some(e.to_string()))),
            Err(e) => Err(Stop::Xml(e.to_string())),
        }
    }

    /// Skips to the end of the element just started, named `name`.
    pub(super) fn skip(&mut self, name: &str) -> Result<(), Stop> {
        match self.reader.read_to_end(quick_xml::name::QName(name)) {
            Ok(_) => {
                self.depth = self.depth.saturating_sub(1);
                Ok(())
            }
            Err(e) if !self.last => Err(Stop::More(Some(e.to_string()))),
            Err(e) => Err(Stop::Xml(e.to_string())),
        }
    }

    /// How many bytes of the window have been read.
    pub(super) fn position(&self) -> usize {
        usize::try_from(self.reader.buffer_position()).unwrap_or(usize::MAX)
    }

    /// Whether the last start tag read closed itself (`<sheetData/>`): its end comes from
    /// this reader's state, not from the bytes after it.
    pub(super) fn closed_itself(&self, data: &[u8]) -> bool {
        let at = self.position();
        at >= 2 && data.get(at - 2) == Some(&b'/')
    }
}

/// A part's bytes, read into a window that keeps the unit being read whole.
pub(super) struct Window<R> {
    source: R,
    buf: Vec<u8>,
    filled: usize,
    done: bool,
    max: usize,
}

impl<R: Read> Window<R> {
    /// A window of `size` bytes over `source`, growing to at most `max` for one unit.
    pub(super) fn new(source: R, size: usize, max: usize) -> Result<Window<R>, String> {
        let mut window = Window { source, buf: vec![0; size.max(1)], filled: 0, done: false, max };
        window.fill()?;
        Ok(window)
    }

    fn fill(&mut self) -> Result<(), String> {
        while self.filled < self.buf.len() && !self.done {
            match self.source.read(&mut self.buf[self.filled..]) {
                Ok(0) => self.done = true,
                Ok(n) => self.filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.to_string()),
            }
        }
        Ok(())
    }

    /// The bytes in the window, and whether they are the part's last.
    pub(super) fn data(&self) -> (&[u8], bool) {
        (&self.buf[..self.filled], self.done)
    }

    /// Drops the first `read` bytes (units read whole) and reads on; when none was read
    /// whole, the window grows (twice, up to `max`). `why` is the error to give when it
    /// cannot.
    pub(super) fn advance(&mut self, read: usize, why: Option<String>) -> Result<(), String> {
        if self.done && read == 0 {
            // Everything is in the window and still a unit does not end: the reader said why.
            return Err(why.unwrap_or_else(|| "the part ends early".into()));
        }
        let read = read.min(self.filled);
        self.buf.copy_within(read..self.filled, 0);
        self.filled -= read;
        if self.filled == self.buf.len() {
            if self.buf.len() >= self.max {
                return Err(why.unwrap_or_else(|| {
                    format!("one row or string takes more than {} MB of XML", self.max >> 20)
                }));
            }
            let size = self.buf.len().saturating_mul(2).min(self.max);
            self.buf.resize(size, 0);
        }
        self.fill()
    }
}

/// The window's bytes from the unit being read on, as a unit reader sees them.
pub(super) struct Cursor<'w> {
    data: &'w [u8],
    /// The window's bytes up to the first that is not UTF-8 (all of them, but in a broken
    /// part, or when the window cuts a character), validated once.
    text: &'w str,
    /// Whether the text's end is the window's (more bytes to come), rather than the part's
    /// end or bytes only the XML reader can report.
    text_more: bool,
    last: bool,
    pos: usize,
    depth: usize,
}

impl<'w> Cursor<'w> {
    /// The bytes from the unit's start to the window's end.
    pub(super) fn rest(&self) -> &'w [u8] {
        &self.data[self.pos..]
    }

    /// The text from the unit's start (`None` where it is not UTF-8), and whether its end
    /// is the window's (see [`Cursor::text`]).
    pub(super) fn rest_text(&self) -> (Option<&'w str>, bool) {
        (self.text.get(self.pos..), self.text_more)
    }

    /// How many elements are open at the unit's start.
    pub(super) fn depth(&self) -> usize {
        self.depth
    }

    /// A reader from the unit's start.
    pub(super) fn xml(&self) -> Xml<'w> {
        Xml::at_depth(self.rest(), self.last, self.depth)
    }

    /// Keeps the unit just read whole: `len` bytes, leaving `depth` elements open.
    pub(super) fn keep(&mut self, len: usize, depth: usize) {
        self.pos = (self.pos + len).min(self.data.len());
        self.depth = depth;
    }

    /// Keeps what `xml` (from [`Cursor::xml`]) has read.
    pub(super) fn keep_read(&mut self, xml: &Xml<'_>) {
        self.keep(xml.position(), xml.depth);
    }
}

/// Reads a part unit by unit: `unit` reads one from the cursor it is given and keeps it
/// ([`Cursor::keep`]) only once it is whole; `false` at the part's end. A unit cut by the
/// window's end ([`Stop::More`]) is read again from its start in the next window.
pub(super) fn each<R: Read>(
    window: &mut Window<R>,
    mut unit: impl FnMut(&mut Cursor<'_>) -> Result<bool, Stop>,
) -> Result<(), Stop> {
    let mut depth = 0;
    loop {
        let (data, last) = window.data();
        let (text, text_more) = match std::str::from_utf8(data) {
            Ok(text) => (text, !last),
            Err(e) => {
                let valid = data.get(..e.valid_up_to()).and_then(|v| std::str::from_utf8(v).ok());
                (valid.unwrap_or_default(), e.error_len().is_none() && !last)
            }
        };
        let mut cursor = Cursor { data, text, text_more, last, pos: 0, depth };
        let why = loop {
            match unit(&mut cursor) {
                Ok(true) => {}
                Ok(false) => return Ok(()),
                Err(Stop::More(why)) => break why,
                Err(e) => return Err(e),
            }
        };
        depth = cursor.depth;
        window.advance(cursor.pos, why).map_err(Stop::Xml)?;
    }
}

/// How a test reads: through windows of its size, or with quick-xml alone.
#[cfg(test)]
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct TestRead {
    /// The first window's size (else [`WINDOW`]).
    pub(super) window: Option<usize>,
    /// The fast path is off.
    pub(super) slow: bool,
}

#[cfg(test)]
thread_local! {
    static TEST_READ: std::cell::Cell<TestRead> = const {
        std::cell::Cell::new(TestRead { window: None, slow: false })
    };
}

/// How this test thread reads now.
#[cfg(test)]
pub(super) fn test_read() -> TestRead {
    TEST_READ.with(std::cell::Cell::get)
}

/// Runs `f` reading as `how` says, then as usual again.
#[cfg(test)]
pub(super) fn reading<T>(how: TestRead, f: impl FnOnce() -> T) -> T {
    TEST_READ.with(|t| t.set(how));
    let out = f();
    TEST_READ.with(|t| t.set(TestRead::default()));
    out
}

/// The first window's size: [`WINDOW`], or a test's.
pub(super) fn first_size() -> usize {
    #[cfg(test)]
    if let Some(size) = test_read().window {
        return size;
    }
    WINDOW
}
