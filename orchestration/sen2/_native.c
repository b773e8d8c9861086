/* orchestration.sen2._native: the SEN2 XML return read straight into per-module columns.
 *
 * A fast path beside the reference reader (xml_reader.iter_xml, lxml). It reads only files it
 * is sure it reads exactly as iter_xml does; on anything else (any expat error, a DOCTYPE, a
 * comment, PI or CDATA inside a record, a repeated item, a non-ASCII or prefixed element name,
 * an element out of place, a limit reached, a line iter_xml could count differently...) it
 * raises Fallback(reason) and the caller re-reads the file with iter_xml. So there are no
 * quarantine verdicts here, only "read" or "not sure".
 *
 * Parser: CPython's own expat through the "pyexpat.expat_CAPI" capsule (Include/pyexpat.h):
 * nothing but CPython is needed to build or run it. Expat never opens anything: it is fed the
 * file's bytes, no external entity handler is set, and a DOCTYPE stops the reader at its start.
 *
 * Threads: the file is read and parsed with the GIL released. The handlers touch no Python
 * API: names are C strings, columns C buffers; a batch sealed while parsing is kept as C
 * buffers and becomes Python objects (bytes) only when it is handed out, with the GIL held.
 *
 * Output: an iterator of batches, one per `batch_persons` Person elements (the last fewer). A
 * batch is a dict module key -> (n, position, parent, person, line, columns): the four numbers
 * as little-endian int64 buffers and each item column (only those with a value in the batch)
 * as (name, offsets int32, utf-8 data, validity bitmap, null count), the Arrow layout of a
 * string array. An item present without text (<X/>, <X></X>) is "" (lxml: None), an absent
 * one null.
 *
 * Lines. A record's line is the line of its start tag. lxml (libxml2) gives the line of the
 * start tag's end, and past line 65,535 iter_xml works it out from the text after the tag
 * (xml_reader._line). The reader therefore falls back when a record's start tag spans lines
 * or the file has a CR without LF (a line break to expat, none to libxml2), and, from line
 * LINE_GUARD on, when the text iter_xml counts from has a line break by reference (&#10;: iter_xml
 * counts it), is long or non-ASCII with a line break (libxml2 could hand it over in pieces), or
 * is missing where iter_xml would look further (an empty first element with no text after it).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* ---- the part of expat.h that pyexpat.h needs (expat 2.x ABI) ---------------------------- */
typedef char XML_Char;
typedef char XML_LChar;
typedef struct XML_ParserStruct *XML_Parser;
typedef unsigned long XML_Size; /* LP64: the width of expat's XML_Size either way */
enum XML_Status { XML_STATUS_ERROR = 0, XML_STATUS_OK = 1, XML_STATUS_SUSPENDED = 2 };
enum XML_Error { XML_ERROR_NONE };
typedef struct XML_Memory_Handling_Suite XML_Memory_Handling_Suite;
typedef struct XML_Encoding XML_Encoding;
typedef void (*XML_StartElementHandler)(void *, const XML_Char *, const XML_Char **);
typedef void (*XML_EndElementHandler)(void *, const XML_Char *);
typedef void (*XML_CharacterDataHandler)(void *, const XML_Char *, int);
typedef void (*XML_CommentHandler)(void *, const XML_Char *);
typedef void (*XML_DefaultHandler)(void *, const XML_Char *, int);
typedef void (*XML_StartNamespaceDeclHandler)(void *, const XML_Char *, const XML_Char *);
typedef void (*XML_EndNamespaceDeclHandler)(void *, const XML_Char *);
typedef void (*XML_ProcessingInstructionHandler)(void *, const XML_Char *, const XML_Char *);
typedef int (*XML_UnknownEncodingHandler)(void *, const XML_Char *, XML_Encoding *);
typedef void (*XML_StartDoctypeDeclHandler)(void *, const XML_Char *, const XML_Char *,
                                            const XML_Char *, int);
#include "pyexpat.h"

/* ---- the return's structure --------------------------------------------------------------- */
#define NMOD 9
enum { M_HEADER, M_PERSON, M_REQUESTS, M_ASSESSMENT, M_NAMED_PLAN, M_PLAN_DETAIL,
       M_ACTIVE_PLANS, M_PLACEMENT_DETAIL, M_SEN_NEED };
static const char *MOD_KEY[NMOD] = {"header", "person", "requests", "assessment",
    "named_plan", "plan_detail", "active_plans", "placement_detail", "sen_need"};
static const char *MOD_XML[NMOD] = {"Header", "Person", "Requests", "Assessment",
    "NamedPlan", "PlanDetail", "ActivePlans", "PlacementDetail", "SENneed"};
static const int MOD_PARENT[NMOD] = {-1, -1, M_PERSON, M_REQUESTS, M_ASSESSMENT,
    M_NAMED_PLAN, M_REQUESTS, M_ACTIVE_PLANS, M_ACTIVE_PLANS};

#define MAX_COLUMNS 256       /* distinct item names in one module */
#define MAX_NAME 200          /* bytes of an element name */
#define HSIZE 4096            /* (module, element name) table; at most half full */
#define MAX_ATTR_BYTES 65536  /* one attribute value */
#define MAX_ATTRS 256         /* attributes of one element */
/* text between two tags, a comment or a PI: libxml2 refuses over 10,000,000 bytes (a text node
 * joined over dropped comments and PIs: so they do not end a run) */
#define MAX_RUN 1000000
#define LINE_GUARD 65000      /* from here on, the line checks of the header comment */
#define WATCHED_TEXT 250      /* bytes of a watched text with a line break */
#define PROLOG_CHUNK 64

/* ---- growable byte buffers ---------------------------------------------------------------- */
typedef struct { char *p; size_t len, cap; } Buf;

static int buf_reserve(Buf *b, size_t extra) {
    if (extra > SIZE_MAX - b->len) return -1;
    size_t need = b->len + extra;
    if (need <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) { cap = need; break; }
        cap *= 2;
    }
    char *p = realloc(b->p, cap);
    if (!p) return -1;
    b->p = p; b->cap = cap;
    return 0;
}
static inline int buf_put(Buf *b, const void *s, size_t n) {
    if (n > b->cap - b->len && buf_reserve(b, n)) return -1;
    if (n) memcpy(b->p + b->len, s, n);
    b->len += n;
    return 0;
}
static inline int buf_i64(Buf *b, int64_t v) { return buf_put(b, &v, 8); }
static inline int buf_i32(Buf *b, int32_t v) { return buf_put(b, &v, 4); }
static void buf_free(Buf *b) { free(b->p); b->p = NULL; b->len = b->cap = 0; }

/* ---- columns, modules, sealed batches ----------------------------------------------------- */
typedef struct {
    char name[MAX_NAME + 1];  /* the item name: the element name in ASCII lower case */
    Buf offsets, data, valid;  /* Arrow string layout, rows + 1 offsets */
    int64_t rows, nulls;       /* rows filled in this batch */
} Column;

typedef struct {
    Buf pos, parent, person, line;  /* int64 per row */
    int64_t n;      /* rows in this batch */
    int64_t count;  /* records so far (the position of the last one) */
    Column *cols[MAX_COLUMNS];
    int ncols;
} Module;

typedef struct { int col; Buf offsets, data, valid; int64_t nulls; } SealedColumn;
typedef struct {
    int64_t n;
    Buf pos, parent, person, line;
    SealedColumn *cols;
    int ncols;
} SealedModule;
typedef struct Sealed { SealedModule mod[NMOD]; struct Sealed *next; } Sealed;

/* (module, element name) -> a nested record's module or an item column */
enum { E_EMPTY, E_CHILD, E_ITEM };
typedef struct { char *name; int len, module, kind, value; } Entry;

enum { F_ROOT, F_PERSONS, F_RECORD, F_ITEM, F_HGROUP };
typedef struct { int kind, module, col, kids; } Frame;

/* watched text (from LINE_GUARD on): the text xml_reader._line counts a record's line from */
enum { W_NONE, W_FIRST, W_TEXT, W_TAIL };
/* what the next event's position must be */
enum { X_NONE, X_LINE, X_EXACT };

typedef struct {
    PyObject_HEAD
    const struct PyExpat_CAPI *api;
    XML_Parser parser;
    FILE *file;
    int64_t max_bytes, max_records, max_item_chars, batch_persons, in_batch, bytes_read;
    int max_depth;
    size_t chunk, prolog_chunk;
    char *buffer;
    int finished, eof, seen_root, persons_seen, sealed_any, in_next, cr_last;
    const char *fallback;  /* the reason, plain words; set once */
    int64_t fallback_line;
    Frame *stack; int depth;
    Buf text; int64_t run;
    int watch; int64_t watch_len; int watch_nl, watch_high;
    int expect; int64_t exp_line, exp_col;
    Module mod[NMOD];
    Entry table[HSIZE];
    int nentries;
    Sealed *sealed_head, *sealed_tail;
} Reader;

static PyObject *FallbackError;

static inline int64_t cur_line(Reader *r) { return (int64_t)r->api->GetErrorLineNumber(r->parser); }
static inline int64_t cur_col(Reader *r) { return (int64_t)r->api->GetErrorColumnNumber(r->parser); }

/* Stop reading for good: no handler runs again (GIL not needed). */
static void fall(Reader *r, const char *reason) {
    if (r->fallback) return;
    r->fallback = reason;
    if (!r->parser) return;
    r->fallback_line = cur_line(r);
    r->api->SetElementHandler(r->parser, NULL, NULL);
    r->api->SetCharacterDataHandler(r->parser, NULL);
    r->api->SetCommentHandler(r->parser, NULL);
    r->api->SetProcessingInstructionHandler(r->parser, NULL);
    r->api->SetDefaultHandlerExpand(r->parser, NULL);
    r->api->SetStartDoctypeDeclHandler(r->parser, NULL);
}
#define NOMEM "out of memory while reading"

/* ---- the name table ----------------------------------------------------------------------- */
static inline uint32_t hash_name(const char *s, int len, int module) {
    uint32_t h = 2166136261u ^ (uint32_t)module;
    for (int i = 0; i < len; i++) { h ^= (unsigned char)s[i]; h *= 16777619u; }
    return h;
}
static Entry *lookup(Reader *r, int module, const char *s, int len) {
    uint32_t h = hash_name(s, len, module) & (HSIZE - 1);
    for (;;) {  /* never full: at most HSIZE / 2 entries */
        Entry *e = &r->table[h];
        if (e->kind == E_EMPTY) return e;
        if (e->module == module && e->len == len && memcmp(e->name, s, (size_t)len) == 0)
            return e;
        h = (h + 1) & (HSIZE - 1);
    }
}
static int add_entry(Reader *r, Entry *e, int module, const char *s, int len, int kind,
                     int value) {
    if (r->nentries >= HSIZE / 2) { fall(r, "too many different element names"); return -1; }
    e->name = malloc((size_t)len + 1);
    if (!e->name) { fall(r, NOMEM); return -1; }
    memcpy(e->name, s, (size_t)len); e->name[len] = 0;
    e->len = len; e->module = module; e->kind = kind; e->value = value;
    r->nentries++;
    return 0;
}

/* An element name the reader is sure of: ASCII, no namespace prefix, not too long. */
static int plain_name(const char *s, int *len) {
    int n = 0;
    for (; s[n]; n++) {
        if (n >= MAX_NAME || (unsigned char)s[n] >= 0x80 || s[n] == ':') return 0;
    }
    *len = n;
    return n > 0;
}

/* The item column of a module for an element name (lower case, as str.lower() on ASCII). */
static int item_column(Reader *r, int m, const char *s, int len) {
    char lower[MAX_NAME + 1];
    for (int i = 0; i < len; i++) {
        char c = s[i];
        lower[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    lower[len] = 0;
    /* the table's own columns: an item of one of these names would collide with them */
    if (!strcmp(lower, "position") || !strcmp(lower, "parent") || !strcmp(lower, "person") ||
        !strcmp(lower, "line")) {
        fall(r, "an item named like a column of record numbers");
        return -1;
    }
    Module *mod = &r->mod[m];
    for (int c = 0; c < mod->ncols; c++)
        if (strcmp(mod->cols[c]->name, lower) == 0) return c;
    if (mod->ncols >= MAX_COLUMNS) { fall(r, "too many different items in one module"); return -1; }
    Column *col = calloc(1, sizeof *col);
    if (!col) { fall(r, NOMEM); return -1; }
    memcpy(col->name, lower, (size_t)len + 1);
    mod->cols[mod->ncols] = col;
    return mod->ncols++;
}

/* ---- columns ------------------------------------------------------------------------------ */
static int valid_bytes(Column *c, int64_t rows) {
    size_t bytes = (size_t)((rows + 7) / 8);
    if (bytes > c->valid.len) {
        if (buf_reserve(&c->valid, bytes - c->valid.len)) return -1;
        memset(c->valid.p + c->valid.len, 0, bytes - c->valid.len);
        c->valid.len = bytes;
    }
    return 0;
}
/* null rows until `rows` rows are filled */
static int col_fill(Column *c, int64_t rows) {
    if (c->offsets.len == 0 && buf_i32(&c->offsets, 0)) return -1;
    if (c->rows >= rows) return 0;
    int64_t add = rows - c->rows;
    if ((uint64_t)add > SIZE_MAX / 4 || buf_reserve(&c->offsets, (size_t)add * 4)) return -1;
    int32_t end = (int32_t)c->data.len;  /* <= INT32_MAX: checked when data grows */
    char *o = c->offsets.p + c->offsets.len;
    for (int64_t i = 0; i < add; i++) memcpy(o + 4 * i, &end, 4);
    c->offsets.len += (size_t)add * 4;
    if (valid_bytes(c, rows)) return -1;
    c->nulls += add;
    c->rows = rows;
    return 0;
}
/* 0, -1 (no memory) or -2 (over int32 offsets) */
static int col_value(Column *c, int64_t row, const char *s, size_t n) {
    if (col_fill(c, row)) return -1;
    if (n > (size_t)INT32_MAX - c->data.len) return -2;
    if (buf_put(&c->data, s, n)) return -1;
    if (buf_i32(&c->offsets, (int32_t)c->data.len)) return -1;
    if (valid_bytes(c, row + 1)) return -1;
    c->valid.p[row >> 3] |= (char)(1 << (row & 7));
    c->rows = row + 1;
    return 0;
}

/* ---- sealing a batch (no Python: runs with the GIL released) ------------------------------- */
static void sealed_free(Sealed *s) {
    for (int m = 0; m < NMOD; m++) {
        SealedModule *sm = &s->mod[m];
        buf_free(&sm->pos); buf_free(&sm->parent); buf_free(&sm->person); buf_free(&sm->line);
        for (int c = 0; c < sm->ncols; c++) {
            buf_free(&sm->cols[c].offsets); buf_free(&sm->cols[c].data);
            buf_free(&sm->cols[c].valid);
        }
        free(sm->cols);
    }
    free(s);
}

static int seal(Reader *r) {
    Sealed *s = calloc(1, sizeof *s);
    if (!s) { fall(r, NOMEM); return -1; }
    for (int m = 0; m < NMOD; m++) {
        Module *mod = &r->mod[m];
        SealedModule *sm = &s->mod[m];
        if (mod->ncols) {
            sm->cols = calloc((size_t)mod->ncols, sizeof *sm->cols);
            if (!sm->cols) { sealed_free(s); fall(r, NOMEM); return -1; }
        }
        for (int c = 0; c < mod->ncols; c++) {
            Column *col = mod->cols[c];
            if (col_fill(col, mod->n)) { sealed_free(s); fall(r, NOMEM); return -1; }
            if (col->nulls < mod->n) {  /* a value in this batch: handed out */
                SealedColumn *sc = &sm->cols[sm->ncols++];
                sc->col = c; sc->offsets = col->offsets; sc->data = col->data;
                sc->valid = col->valid; sc->nulls = col->nulls;
                memset(&col->offsets, 0, sizeof(Buf));
                memset(&col->data, 0, sizeof(Buf));
                memset(&col->valid, 0, sizeof(Buf));
            } else {
                col->offsets.len = col->data.len = col->valid.len = 0;
            }
            col->rows = col->nulls = 0;
        }
        sm->n = mod->n;
        sm->pos = mod->pos; sm->parent = mod->parent; sm->person = mod->person;
        sm->line = mod->line;
        memset(&mod->pos, 0, sizeof(Buf)); memset(&mod->parent, 0, sizeof(Buf));
        memset(&mod->person, 0, sizeof(Buf)); memset(&mod->line, 0, sizeof(Buf));
        mod->n = 0;
    }
    if (r->sealed_tail) r->sealed_tail->next = s; else r->sealed_head = s;
    r->sealed_tail = s;
    r->in_batch = 0;
    r->sealed_any = 1;
    return 0;
}

/* ---- positions ---------------------------------------------------------------------------- */
/* The watched text ended (the next markup event started). */
static void watch_text_done(Reader *r) {
    if (r->watch_nl && (r->watch_len > WATCHED_TEXT || r->watch_high))
        fall(r, "a long or non-ASCII text with line breaks past line 65,000");
    r->watch = W_NONE;
}

/* At the start of each event: the position the previous event said it must be at. */
static inline int check_position(Reader *r) {
    if (r->expect == X_NONE) return 0;
    int64_t line = cur_line(r);
    if (line != r->exp_line || (r->expect == X_EXACT && cur_col(r) != r->exp_col)) {
        fall(r, r->expect == X_LINE ? "a tag or text that spans lines"
                                    : "a line break by reference where lines are counted");
        return -1;
    }
    r->expect = X_NONE;
    return 0;
}

/* ---- handlers ----------------------------------------------------------------------------- */
static void start_record(Reader *r, int m, int64_t line) {
    Module *mod = &r->mod[m];
    int64_t pos = ++mod->count;
    if (pos > r->max_records) { fall(r, "more records in a module than the limit"); return; }
    int64_t parent = m == M_HEADER ? 0 : m == M_PERSON ? 1 : r->mod[MOD_PARENT[m]].count;
    int64_t person = m == M_HEADER ? 0 : r->mod[M_PERSON].count;
    if (buf_i64(&mod->pos, pos) || buf_i64(&mod->parent, parent) ||
        buf_i64(&mod->person, person) || buf_i64(&mod->line, line)) { fall(r, NOMEM); return; }
    mod->n++;
    Frame *f = &r->stack[r->depth++];
    f->kind = F_RECORD; f->module = m; f->col = -1; f->kids = 0;
    /* the start tag on one line; from LINE_GUARD on, the text after it watched */
    r->expect = X_LINE; r->exp_line = line;
    if (line >= LINE_GUARD) r->watch = W_FIRST;
}

static void start_item(Reader *r, int m, const char *name, int64_t line) {
    int len;
    if (!plain_name(name, &len)) { fall(r, "an element name with a prefix or not in ASCII"); return; }
    int col = -1;
    Entry *e = lookup(r, m, name, len);
    if (e->kind == E_EMPTY) {
        if ((col = item_column(r, m, name, len)) < 0) return;
        if (add_entry(r, e, m, name, len, E_ITEM, col)) return;
    }
    if (e->kind == E_CHILD) { start_record(r, e->value, line); return; }
    col = e->value;
    r->text.len = 0;
    Frame *f = &r->stack[r->depth++];
    f->kind = F_ITEM; f->module = m; f->col = col; f->kids = 0;
    if (r->watch != W_NONE) { r->expect = X_LINE; r->exp_line = line; }
}

static void on_start(void *ud, const XML_Char *name, const XML_Char **atts) {
    Reader *r = ud;
    if (check_position(r)) return;
    if (r->watch == W_TEXT) { watch_text_done(r); if (r->fallback) return; }
    else if (r->watch == W_TAIL) { fall(r, "an empty element with no text after it past line 65,000"); return; }
    /* W_FIRST stays: the element that starts is the first child of the watched one */
    r->run = 0;
    int natts = 0;
    for (const XML_Char **a = atts; *a; a += 2) {
        if (++natts > MAX_ATTRS) { fall(r, "too many attributes"); return; }
        const char *an = a[0];
        if (strchr(an, ':') || strncmp(an, "xmlns", 5) == 0) {
            fall(r, "a namespace declaration or prefixed attribute"); return;
        }
        if (strnlen(a[1], MAX_ATTR_BYTES + 1) > MAX_ATTR_BYTES) {
            fall(r, "a very long attribute"); return;
        }
    }
    if (r->depth + 1 >= r->max_depth) { fall(r, "elements nested near the depth limit"); return; }
    int64_t line = cur_line(r);
    if (r->depth == 0) {
        r->seen_root = 1;
        if (strcmp(name, "Message") != 0) { fall(r, "a root element other than Message"); return; }
        r->stack[r->depth++] = (Frame){F_ROOT, -1, -1, 0};
        return;
    }
    Frame *top = &r->stack[r->depth - 1];
    top->kids++;
    switch (top->kind) {
    case F_RECORD:
        start_item(r, top->module, name, line);
        return;
    case F_ITEM:
        if (top->module == M_HEADER) {  /* a group of header items (CollectionDetails) */
            top->kind = F_HGROUP;
            start_item(r, M_HEADER, name, line);
            return;
        }
        fall(r, "an item that holds elements");
        return;
    case F_HGROUP:
        start_item(r, M_HEADER, name, line);
        return;
    case F_ROOT:
        if (strcmp(name, "Header") == 0 && !r->mod[M_HEADER].count && !r->persons_seen) {
            start_record(r, M_HEADER, line);
        } else if (strcmp(name, "Persons") == 0 && r->mod[M_HEADER].count && !r->persons_seen) {
            r->persons_seen = 1;
            r->stack[r->depth++] = (Frame){F_PERSONS, -1, -1, 0};
        } else {
            fall(r, "an element in Message other than one Header then one Persons");
        }
        return;
    case F_PERSONS:
        if (strcmp(name, "Person") == 0) start_record(r, M_PERSON, line);
        else fall(r, "an element in Persons other than Person");
        return;
    }
}

static int64_t utf8_chars(const char *s, size_t n) {
    int64_t k = 0;
    for (size_t i = 0; i < n; i++) k += ((unsigned char)s[i] & 0xC0) != 0x80;
    return k;
}

static void on_end(void *ud, const XML_Char *name) {
    Reader *r = ud;
    if (check_position(r)) return;
    if (r->watch == W_TEXT) { watch_text_done(r); if (r->fallback) return; }
    else if (r->watch == W_TAIL) { fall(r, "an empty element with no text after it past line 65,000"); return; }
    else if (r->watch == W_FIRST) r->watch = W_TAIL;  /* the element ends with no text, no child */
    if (r->watch != W_NONE) { r->expect = X_LINE; r->exp_line = cur_line(r); }
    r->run = 0;
    Frame *f = &r->stack[--r->depth];
    if (f->kind == F_ITEM) {
        Module *mod = &r->mod[f->module];
        Column *col = mod->cols[f->col];
        int64_t row = mod->n - 1;
        size_t n = r->text.len;
        if ((int64_t)n > r->max_item_chars && utf8_chars(r->text.p, n) > r->max_item_chars) {
            fall(r, "an item longer than the limit"); return;
        }
        if (col->rows > row) { fall(r, "an item given twice in a record"); return; }
        int rc = col_value(col, row, r->text.p ? r->text.p : "", n);
        if (rc == -2) fall(r, "over 2 GiB of text in one column of a batch");
        else if (rc) fall(r, NOMEM);
        return;
    }
    if (f->kind == F_RECORD) {
        if (!f->kids) { fall(r, "a record with no items"); return; }
        if (f->module == M_PERSON && ++r->in_batch >= r->batch_persons) seal(r);
    }
}

static void on_text(void *ud, const XML_Char *s, int len) {
    Reader *r = ud;
    if (r->expect != X_NONE && check_position(r)) return;
    if ((r->run += len) > MAX_RUN) { fall(r, "a very long text"); return; }
    if (r->watch == W_FIRST || r->watch == W_TAIL) {
        r->watch = W_TEXT; r->watch_len = 0; r->watch_nl = 0; r->watch_high = 0;
    }
    if (r->watch == W_TEXT) {  /* literal text only: each newline its own event (expat) */
        int nl = 0;
        for (int i = 0; i < len; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c == '\n') nl++;
            if (c >= 0x80) r->watch_high = 1;
        }
        if (nl && len != 1) { fall(r, "a text event with a line break and more"); return; }
        r->watch_len += len; r->watch_nl += nl;
        /* a line break must be one in the file (not &#10;): the next event on the next line,
         * at its start; other text (references included) keeps to its line */
        r->expect = nl ? X_EXACT : X_LINE;
        r->exp_line = cur_line(r) + nl;
        r->exp_col = 0;
    }
    if (!r->depth) return;
    Frame *top = &r->stack[r->depth - 1];
    if (top->kind != F_ITEM) return;
    if ((int64_t)r->text.len + len > 4 * r->max_item_chars + 4) {
        fall(r, "an item longer than the limit"); return;
    }
    if (buf_put(&r->text, s, (size_t)len)) fall(r, NOMEM);
}

/* comments and PIs: dropped by lxml; inside a record they could join two text nodes */
static void on_comment(void *ud, const XML_Char *data) {
    Reader *r = ud;
    if (strnlen(data, MAX_RUN + 1) > MAX_RUN) fall(r, "a very long comment");
    else if (r->depth > 1 && r->stack[r->depth - 1].kind != F_PERSONS)
        fall(r, "a comment inside a record");
    else if (r->watch != W_NONE) fall(r, "a comment where lines are counted");
}
static void on_pi(void *ud, const XML_Char *target, const XML_Char *data) {
    Reader *r = ud;
    if (strnlen(data, MAX_RUN + 1) + strnlen(target, MAX_RUN + 1) > MAX_RUN)
        fall(r, "a very long processing instruction");
    else if (r->depth > 1 && r->stack[r->depth - 1].kind != F_PERSONS)
        fall(r, "a processing instruction inside a record");
    else if (r->watch != W_NONE) fall(r, "a processing instruction where lines are counted");
}
/* what no other handler takes: inside the root, a CDATA section's markers (or anything else) */
static void on_default(void *ud, const XML_Char *s, int len) {
    Reader *r = ud;
    if (r->depth) fall(r, "a CDATA section or other markup the reader does not take");
}
static void on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
                       const XML_Char *pubid, int internal) {
    fall((Reader *)ud, "a DOCTYPE");
}

/* ---- reading (GIL released) ---------------------------------------------------------------- */
static void read_some(Reader *r) {
    while (!r->fallback && !r->finished && !r->sealed_head) {
        /* Until the root element starts, the prolog is fed in small pieces: a DOCTYPE stops
         * the reader before expat reads much of its internal subset. */
        size_t want = r->chunk;
        if (!r->seen_root) {
            want = r->prolog_chunk ? r->prolog_chunk : PROLOG_CHUNK;
            if (want > r->chunk) want = r->chunk;
            r->prolog_chunk = want * 2;
        }
        size_t got = fread(r->buffer, 1, want, r->file);
        if (got < want) {
            if (ferror(r->file)) { fall(r, "the file could not be read"); return; }
            r->eof = 1;
        }
        /* a CR not followed by LF: a line break to expat, none to libxml2's line count */
        for (size_t i = 0; i < got; i++) {
            const char *cr = memchr(r->buffer + i, '\r', got - i);
            if (!cr) break;
            i = (size_t)(cr - r->buffer);
            if (i + 1 < got ? r->buffer[i + 1] != '\n' : r->eof) {
                fall(r, "a carriage return without a line feed"); return;
            }
        }
        if (r->cr_last && (got == 0 || r->buffer[0] != '\n')) {
            fall(r, "a carriage return without a line feed"); return;
        }
        r->cr_last = got > 0 && r->buffer[got - 1] == '\r';
        r->bytes_read += (int64_t)got;
        if (r->bytes_read > r->max_bytes) { fall(r, "over the size limit"); return; }
        enum XML_Status st = r->api->Parse(r->parser, r->buffer, (int)got, r->eof);
        if (r->fallback) return;
        if (st != XML_STATUS_OK) { fall(r, "expat did not read the file as well-formed XML"); return; }
        if (r->eof) {
            if (!r->mod[M_HEADER].count) { fall(r, "no header"); return; }
            if (r->watch == W_FIRST || r->watch == W_TAIL) {
                fall(r, "the file ends where lines are counted"); return;
            }
            if (r->in_batch || !r->sealed_any) { if (seal(r)) return; }
            r->finished = 1;
        }
    }
}

/* ---- handing a batch out (GIL held) -------------------------------------------------------- */
static PyObject *bytes_of(Buf *b) { return PyBytes_FromStringAndSize(b->p ? b->p : "", (Py_ssize_t)b->len); }

static PyObject *batch_object(Reader *r, Sealed *s) {
    PyObject *batch = PyDict_New();
    if (!batch) return NULL;
    for (int m = 0; m < NMOD; m++) {
        SealedModule *sm = &s->mod[m];
        if (!sm->n) continue;
        PyObject *cols = PyList_New(sm->ncols);
        if (!cols) goto error;
        for (int c = 0; c < sm->ncols; c++) {
            SealedColumn *sc = &sm->cols[c];
            PyObject *t = Py_BuildValue("(sNNNL)", r->mod[m].cols[sc->col]->name,
                                        bytes_of(&sc->offsets), bytes_of(&sc->data),
                                        bytes_of(&sc->valid), (long long)sc->nulls);
            if (!t) { Py_DECREF(cols); goto error; }
            PyList_SET_ITEM(cols, c, t);
        }
        PyObject *t = Py_BuildValue("(LNNNNN)", (long long)sm->n, bytes_of(&sm->pos),
                                    bytes_of(&sm->parent), bytes_of(&sm->person),
                                    bytes_of(&sm->line), cols);
        if (!t) goto error;
        int rc = PyDict_SetItemString(batch, MOD_KEY[m], t);
        Py_DECREF(t);
        if (rc) goto error;
    }
    return batch;
error:
    Py_DECREF(batch);
    return NULL;
}

static PyObject *Reader_next(Reader *r) {
    if (r->in_next) { PyErr_SetString(PyExc_RuntimeError, "reader already running"); return NULL; }
    if (!r->sealed_head) {
        if (r->finished) return NULL;  /* StopIteration */
        if (!r->fallback) {
            r->in_next = 1;
            Py_BEGIN_ALLOW_THREADS
            read_some(r);
            Py_END_ALLOW_THREADS
            r->in_next = 0;
        }
        if (r->fallback) {
            PyErr_Format(FallbackError, "%s (line %lld)", r->fallback, (long long)r->fallback_line);
            return NULL;
        }
        if (!r->sealed_head) return NULL;
    }
    Sealed *s = r->sealed_head;
    PyObject *batch = batch_object(r, s);
    if (!batch) return NULL;
    r->sealed_head = s->next;
    if (!r->sealed_head) r->sealed_tail = NULL;
    sealed_free(s);
    return batch;
}

static void Reader_dealloc(Reader *r) {
    if (r->parser) r->api->ParserFree(r->parser);
    if (r->file) fclose(r->file);
    free(r->buffer); free(r->stack); free(r->text.p);
    for (int m = 0; m < NMOD; m++) {
        Module *mod = &r->mod[m];
        buf_free(&mod->pos); buf_free(&mod->parent); buf_free(&mod->person); buf_free(&mod->line);
        for (int c = 0; c < mod->ncols; c++) {
            Column *col = mod->cols[c];
            buf_free(&col->offsets); buf_free(&col->data); buf_free(&col->valid);
            free(col);
        }
    }
    for (int i = 0; i < HSIZE; i++) free(r->table[i].name);
    while (r->sealed_head) {
        Sealed *next = r->sealed_head->next;
        sealed_free(r->sealed_head);
        r->sealed_head = next;
    }
    Py_TYPE(r)->tp_free((PyObject *)r);
}

static PyObject *Reader_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"path", "max_bytes", "max_records", "max_depth", "max_item_chars",
                             "batch_persons", "chunk", NULL};
    PyObject *path_obj = NULL;
    long long max_bytes = 4LL << 30, max_records = 5000000, max_item_chars = 10000;
    long long batch_persons = 20000, chunk = 1 << 20;
    int max_depth = 12;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&|LLiLLL", kwlist, PyUnicode_FSConverter,
                                     &path_obj, &max_bytes, &max_records, &max_depth,
                                     &max_item_chars, &batch_persons, &chunk))
        return NULL;
    if (max_depth < 2 || max_depth > 10000 || chunk < 1 || chunk > (1 << 30) ||
        batch_persons < 1 || max_item_chars < 0 || max_item_chars > (1LL << 40) ||
        max_records < 0 || max_bytes < 0) {
        Py_DECREF(path_obj);
        PyErr_SetString(PyExc_ValueError, "limits out of range");
        return NULL;
    }
    Reader *r = (Reader *)type->tp_alloc(type, 0);  /* zeroed */
    if (!r) { Py_DECREF(path_obj); return NULL; }
    r->api = PyCapsule_Import(PyExpat_CAPSULE_NAME, 0);
    if (!r->api) goto error;
    if (strcmp(r->api->magic, PyExpat_CAPI_MAGIC) != 0 ||
        r->api->size < (int)offsetof(struct PyExpat_CAPI, SetHashSalt)) {
        r->api = NULL;
        PyErr_SetString(PyExc_ImportError, "pyexpat.expat_CAPI: not the expected version");
        goto error;
    }
    r->max_bytes = max_bytes; r->max_records = max_records; r->max_depth = max_depth;
    r->max_item_chars = max_item_chars; r->batch_persons = batch_persons;
    r->chunk = (size_t)chunk;
    r->buffer = malloc(r->chunk);
    r->stack = calloc((size_t)max_depth + 1, sizeof(Frame));
    if (!r->buffer || !r->stack) { PyErr_NoMemory(); goto error; }
    for (int m = 2; m < NMOD; m++) {  /* nested records: by their parent module */
        int p = MOD_PARENT[m], len = (int)strlen(MOD_XML[m]);
        Entry *e = lookup(r, p, MOD_XML[m], len);
        if (add_entry(r, e, p, MOD_XML[m], len, E_CHILD, m)) { PyErr_NoMemory(); goto error; }
    }
    r->file = fopen(PyBytes_AS_STRING(path_obj), "rb");
    if (!r->file) { PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, path_obj); goto error; }
    Py_CLEAR(path_obj);
    /* "utf-8" overrides any declared encoding (the declaration is checked before) */
    r->parser = r->api->ParserCreate_MM("utf-8", NULL, NULL);
    if (!r->parser) { PyErr_NoMemory(); goto error; }
    r->api->SetUserData(r->parser, r);
    r->api->SetStartDoctypeDeclHandler(r->parser, on_doctype);
    r->api->SetElementHandler(r->parser, on_start, on_end);
    r->api->SetCharacterDataHandler(r->parser, on_text);
    r->api->SetCommentHandler(r->parser, on_comment);
    r->api->SetProcessingInstructionHandler(r->parser, on_pi);
    r->api->SetDefaultHandlerExpand(r->parser, on_default);
    return (PyObject *)r;
error:
    Py_XDECREF(path_obj);
    Py_DECREF(r);
    return NULL;
}

static PyObject *Reader_counts(Reader *r, void *closure) {
    PyObject *d = PyDict_New();
    for (int m = 0; d && m < NMOD; m++) {
        PyObject *v = PyLong_FromLongLong(r->mod[m].count);
        if (!v || PyDict_SetItemString(d, MOD_KEY[m], v)) { Py_XDECREF(v); Py_DECREF(d); return NULL; }
        Py_DECREF(v);
    }
    return d;
}
static PyObject *Reader_bytes(Reader *r, void *closure) { return PyLong_FromLongLong(r->bytes_read); }

static PyGetSetDef Reader_getset[] = {
    {"counts", (getter)Reader_counts, NULL, "records read so far per module", NULL},
    {"bytes_read", (getter)Reader_bytes, NULL, "bytes of the file read so far", NULL},
    {NULL}
};

static PyTypeObject ReaderType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "orchestration.sen2._native.Reader",
    .tp_basicsize = sizeof(Reader),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = Reader_new,
    .tp_dealloc = (destructor)Reader_dealloc,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = (iternextfunc)Reader_next,
    .tp_getset = Reader_getset,
    .tp_doc = "Reader(path, max_bytes, max_records, max_depth, max_item_chars, batch_persons, "
              "chunk): the return's batches of columns; Fallback when not sure",
};

static struct PyModuleDef moduledef = {PyModuleDef_HEAD_INIT, "orchestration.sen2._native",
                                       "SEN2 XML return -> per-module columns (expat)", -1, NULL};

PyMODINIT_FUNC PyInit__native(void) {
    if (PyType_Ready(&ReaderType) < 0) return NULL;
    PyObject *m = PyModule_Create(&moduledef);
    if (!m) return NULL;
    FallbackError = PyErr_NewException("orchestration.sen2._native.Fallback", NULL, NULL);
    if (!FallbackError) { Py_DECREF(m); return NULL; }
    Py_INCREF(FallbackError);
    if (PyModule_AddObject(m, "Fallback", FallbackError)) {
        Py_DECREF(FallbackError); Py_DECREF(FallbackError); Py_DECREF(m); return NULL;
    }
    Py_INCREF(&ReaderType);
    if (PyModule_AddObject(m, "Reader", (PyObject *)&ReaderType)) {
        Py_DECREF(&ReaderType); Py_DECREF(m); return NULL;
    }
    return m;
}
