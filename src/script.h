/* The script's abstract syntax tree: what the grammar builds, before any
 * meaning is given to it (timeline.c does that). */
#ifndef TCPCHECK_SCRIPT_H
#define TCPCHECK_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "diag.h"

/* --- expressions: system call arguments and results ----------------------- */

enum expr_kind {
	EXPR_ELLIPSIS, /* ... */
	EXPR_INT,      /* 42, -1, 0x2a */
	EXPR_WORD,     /* SOL_SOCKET, EINPROGRESS, ESTABLISHED: resolved later */
	EXPR_STRING,   /* "text", without the quotes, escapes undone */
	EXPR_BINARY,   /* lhs op rhs; op is '|' (the only one the corpus uses) */
	EXPR_LIST,     /* [a, b]; also [4], an int passed by reference */
	EXPR_STRUCT,   /* {a, b} or {name=value, ...} */
	EXPR_FIELD,    /* name=value or name(index)=value, inside a struct */
	EXPR_CALL,     /* name(args): htons(8080), inet_addr("1.2.3.4") */
};

struct expr;

struct expr_list {
	size_t count;
	struct expr **items;
};

struct expr {
	enum expr_kind kind;
	struct src_loc loc;
	union {
		int64_t num; /* EXPR_INT */
		char *text;  /* EXPR_WORD: the name; EXPR_STRING: the contents */
		struct {
			int op;
			struct expr *lhs, *rhs;
		} binary;
		struct expr_list items; /* EXPR_LIST, EXPR_STRUCT */
		struct {
			char *name;
			struct expr *index; /* msg_iov(1)=...: the 1; else NULL */
			struct expr *value;
		} field;
		struct {
			char *name;
			struct expr_list args;
		} call;
	} u;
	size_t len; /* EXPR_STRING: bytes in u.text, which may hold NULs */
};

/* --- time ----------------------------------------------------------------- */

enum time_kind {
	TIME_ABSOLUTE, /* 0.100 or .1: from the start of the script */
	TIME_RELATIVE, /* +0.1: from the previous event */
	TIME_ANY,      /* * */
};

struct script_time {
	enum time_kind kind;
	int64_t usecs; /* exact: the decimal text converted without floats */
	struct src_loc loc;
};

enum timing_shape {
	TIMING_POINT,    /* 0.1 */
	TIMING_WINDOW,   /* 1.0~1.2, +.3~+.31 */
	TIMING_BLOCKING, /* +.1...0.25: a call that blocks until end */
};

struct event_timing {
	enum timing_shape shape;
	struct script_time start;
	struct script_time end; /* WINDOW and BLOCKING only */
	/* BLOCKING: end is kept as written (a bare number reads as
	 * TIME_ABSOLUTE); its base is the start's, which timeline.c applies. */
	/* Events of a file included at a relative time (script_include.c):
	 * an absolute time counts from that include's time, base number
	 * anchor (0: from the script's start), and the file's first event
	 * sets that base, sets_anchor, to the point its own relative time
	 * counts from plus anchor_usecs. 0 and 0 in any other event. */
	int anchor;
	int sets_anchor;
	int64_t anchor_usecs;
};

/* --- packets -------------------------------------------------------------- */

enum packet_direction {
	DIR_INBOUND,  /* <: the tool injects it */
	DIR_OUTBOUND, /* >: the stack must send it */
};

enum packet_proto {
	PROTO_TCP,
	PROTO_UDP,
	PROTO_ICMP,
};

enum ecn_spec {
	ECN_UNSPECIFIED = 0,
	ECN_NOECN,
	ECN_ECT0,
	ECN_ECT1,
	ECN_CE,
	ECN_ECT01, /* outbound: either ECT codepoint */
};

/* IP fields written in (...) or [...] before the flags. */
struct ip_spec {
	enum ecn_spec ecn;
	bool has_tos;
	uint8_t tos;
	bool has_flowlabel;
	uint32_t flowlabel;
	bool has_ttl;
	uint8_t ttl;
};

enum tcp_option_kind {
	TOPT_EOL,
	TOPT_NOP,
	TOPT_MSS,
	TOPT_WSCALE,
	TOPT_SACK_PERMITTED,
	TOPT_SACK,
	TOPT_TIMESTAMP,
	TOPT_MD5,
	TOPT_FASTOPEN,     /* FO [cookie]: kind 34 */
	TOPT_FASTOPEN_EXP, /* FOEXP [cookie]: kind 254, magic 0xf989 */
	TOPT_ACCECN,       /* ECN e0b N ceb N e1b N, in the order written */
};

#define TCP_OPTION_BYTES_MAX 40
#define SACK_BLOCKS_MAX 4

enum accecn_field { ACCECN_E0B, ACCECN_CEB, ACCECN_E1B };

struct tcp_option_spec {
	enum tcp_option_kind kind;
	struct src_loc loc;
	union {
		uint16_t mss;
		uint8_t wscale;
		struct {
			uint32_t val, ecr;
		} ts;
		struct {
			int count;
			struct {
				uint32_t left, right;
			} block[SACK_BLOCKS_MAX];
		} sack;
		struct {
			size_t len; /* 0: no cookie / no digest written */
			uint8_t bytes[TCP_OPTION_BYTES_MAX];
		} data; /* MD5 digest, FO/FOEXP cookie */
		struct {
			int count;
			enum accecn_field field[3];
			uint32_t value[3];
		} accecn;
	} u;
};

struct tcp_option_list {
	size_t count;
	struct tcp_option_spec *items;
};

/* TCP flag letters as bits. */
enum {
	TCPF_FIN = 0x01,
	TCPF_SYN = 0x02,
	TCPF_RST = 0x04,
	TCPF_PSH = 0x08,
	TCPF_ACK = 0x10,
	TCPF_URG = 0x20,
	TCPF_ECE = 0x40,
	TCPF_CWR = 0x80,
	TCPF_AE = 0x100,
};

struct tcp_spec {
	unsigned int flags;   /* TCPF_* */
	char flag_text[16];   /* as written: "S.", "P.", "-" */
	int ace;              /* AccECN digit after '.', -1 when none */
	bool has_ports;       /* sport>dport written */
	uint16_t sport, dport;
	uint32_t seq_start, seq_end, payload_len;
	bool has_ack;         /* "ack N" written */
	uint32_t ack;
	bool has_win;
	uint32_t win;
	bool has_urg;
	uint32_t urg;
	/* options: NULL when no <...> was written; any_options for "<...>" */
	bool any_options;
	struct tcp_option_list *options;
};

struct udp_spec {
	bool has_ports;
	uint16_t sport, dport;
	uint32_t payload_len;
};

struct packet_spec;

struct icmp_spec {
	char *type;        /* "unreachable", "packet_too_big", ... as written */
	char *code;        /* "port_unreachable", "frag_needed", NULL if none */
	bool has_mtu;
	uint32_t mtu;
	struct packet_spec *quoted; /* [seq:end(len)] or a full segment; NULL */
	struct src_loc type_loc, code_loc, mtu_loc;
};

struct packet_spec {
	enum packet_direction dir;
	enum packet_proto proto;
	struct ip_spec ip;
	union {
		struct tcp_spec tcp;
		struct udp_spec udp;
		struct icmp_spec icmp;
	} u;
	struct src_loc flags_loc;   /* the flags word */
	struct src_loc seq_loc;     /* start:end(len) */
	struct src_loc ack_loc;     /* "ack N" */
	struct src_loc win_loc;     /* "win N" */
	struct src_loc options_loc; /* <...> */
	struct src_loc ip_loc;      /* [ect0] or (tos 0x10, ...) */
	struct src_loc ports_loc;   /* sport>dport */
	struct src_loc urg_loc;     /* "urg N" */
};

/* --- events --------------------------------------------------------------- */

enum event_kind {
	EVENT_PACKET,
	EVENT_SYSCALL, /* also tcp_state(...) = NAME; timeline.c tells them apart */
	EVENT_COMMAND, /* `shell command` at a time */
	EVENT_CODE,    /* %{ python }% */
};

struct syscall_spec {
	char *name;
	struct src_loc name_loc;
	struct expr_list args;
	struct expr *result;  /* after '=' */
	char *errno_name;     /* EINPROGRESS, or NULL */
	struct src_loc errno_loc;
	char *note;           /* (free text) after the errno, or NULL */
	/* Names after the errno: the rest of tcp_states() = A B C. */
	struct expr_list more_words;
};

struct event {
	enum event_kind kind;
	struct src_loc loc; /* the whole line */
	struct event_timing timing;
	union {
		struct packet_spec packet;
		struct syscall_spec syscall;
		char *command; /* EVENT_COMMAND: between the back quotes */
		char *code;    /* EVENT_CODE: between %{ and }% */
	} u;
};

/* --- the script ----------------------------------------------------------- */

struct script_option {
	char *name;  /* without the leading dashes, as written */
	char *value; /* NULL for a bare --flag */
	struct src_loc loc;
};

/* include("file", NAME=value, ...) as written. */
struct script_param {
	char *name;
	char *value; /* as a -D define's text: 1460, "text", `cmd`, WORD */
	struct src_loc name_loc, value_loc;
};

struct script_params {
	size_t count;
	struct script_param *items;
};

struct script_include {
	size_t at; /* how many events precede it in its file */
	struct event_timing timing;
	char *path; /* as written */
	struct src_loc path_loc, keyword_loc;
	struct src_loc loc; /* the whole line */
	struct script_params params;
};

struct script {
	char *file;   /* the name diagnostics use */
	char *source; /* the whole text, for caret lines */
	/* files[0] is the script itself (sharing file and source), then the
	 * files it included; every src_loc's file indexes this. */
	size_t file_count;
	struct src_file *files;
	/* How many include time bases events use (event_timing.anchor). */
	int anchor_count;
	/* The include lines of this file until script_include.c has
	 * spliced their events in; none in a parsed script. */
	size_t include_count;
	struct script_include **includes;
	size_t option_count;
	struct script_option *options;
	char *init_command; /* back-quoted command before the first event */
	struct src_loc init_loc;
	char *cleanup_command; /* back-quoted command after the last event */
	struct src_loc cleanup_loc;
	size_t event_count;
	struct event **events;
	/* script_parse_all: where parsing resumed after each syntax error;
	 * the text between the error and there was lost. */
	size_t resume_count;
	struct src_loc *resumes;
	/* script_parse_all: an include line failed, its events are not
	 * there. */
	bool includes_lost;
};

/* A define given with -D NAME=value; the lexer substitutes it for the word. */
struct script_define {
	const char *name;
	const char *value;
};

/* Parse file (path "-" reads stdin); display is the name for diagnostics.
 * Returns NULL and fills d (status EXIT_USAGE) on a syntax error. */
struct script *script_parse_file(const char *path,
				 const struct script_define *defines,
				 size_t define_count, struct diag *d);
struct script *script_parse_string(const char *display_name,
				   const char *text,
				   const struct script_define *defines,
				   size_t define_count, struct diag *d);
void script_free(struct script *s);

/* --dump-ast: a stable, line-oriented rendering for golden tests. */
void script_dump(FILE *out, const struct script *s);

/* Lookups used by later passes. */
const char *script_option_value(const struct script *s, const char *name,
				bool *present);
const char *expr_kind_name(enum expr_kind k);

/* A script read whole, NUL-terminated (len excludes the NUL); path "-"
 * reads stdin. main keeps it to print caret lines when parsing fails. */
char *script_read_source(const char *path, size_t *len, struct diag *d);

/* --check: d is in all-errors mode (d->all set); every syntax error goes
 * there, parsing resumes at the next line that starts like an event, and
 * the script holds whatever parsed, its include lines expanded where
 * they could be (includes_lost says when one could not). Never NULL. */
struct script *script_parse_all(const char *display_name, const char *text,
				size_t len,
				const struct script_define *defines,
				size_t define_count, struct diag *d);

/* Parse len bytes of text, which may hold NULs (they are an error). */
struct script *script_parse_buffer(const char *display_name, const char *text,
				   size_t len,
				   const struct script_define *defines,
				   size_t define_count, struct diag *d);
/* The same, but *out is the script even when the parse fails, so that a
 * diagnostic inside an included file can be printed with the script's
 * files (diag_print_files); the caller frees it. */
int script_load(const char *display_name, const char *text, size_t len,
		const struct script_define *defines, size_t define_count,
		struct script **out, struct diag *d);

/* Splice the events of every file that s includes in place of its
 * include lines, recursively (script_include.c); defines are the -D
 * ones. */
int script_include_expand(struct script *s,
			  const struct script_define *defines,
			  size_t define_count, struct diag *d);

/* --- construction: called by grammar/parser.y ------------------------------
 *
 * Every char * and every pointer passed in is owned by the callee from then
 * on. Functions taking a struct diag check ranges and spellings: on a bad
 * value they record the error (the first one wins) and still return a
 * well-formed value, so the parse can finish and free everything. */

/* Implemented by grammar/parser.y: fills s, returns 0 or -1 with d set. */
int script_grammar_parse(struct script *s, const char *text, size_t len,
			 int file, const struct script_define *defines,
			 size_t define_count, struct diag *d);

/* Allocation that cannot fail: out of memory aborts. */
void *script_xmalloc(size_t size);
void *script_xrealloc(void *p, size_t size);
char *script_strdup(const char *s);

/* Values the grammar passes between rules. */
struct script_bytes {
	char *data; /* NUL-terminated, but may hold NULs before len */
	size_t len;
};

struct script_u32 {
	bool has;
	uint32_t value;
};

struct script_ports {
	bool has;
	uint16_t sport, dport;
};

struct script_seq {
	uint32_t start, end, len;
};

struct tcp_flags_spec {
	unsigned int flags; /* TCPF_* */
	int ace;            /* -1 when none */
	char text[16];
};

void script_add_option(struct script *s, char *name, char *value,
		       const struct src_loc *name_loc,
		       const struct src_loc *end_loc);
void script_set_init(struct script *s, char *command,
		     const struct src_loc *loc);
void script_set_cleanup(struct script *s, char *command,
			const struct src_loc *loc);
void script_add_event(struct script *s, struct event *e);
void script_add_resume(struct script *s, const struct src_loc *loc);
/* Record an error for an untimed command between events, or an option
 * line after them; the text is freed. */
void script_stray_command(struct diag *d, char *command,
			  const struct src_loc *loc);
void script_stray_option(struct diag *d, char *name, char *value,
			 const struct src_loc *loc);

struct script_time script_time_seconds(struct diag *d, enum time_kind kind,
				       int64_t seconds,
				       const struct src_loc *loc);
struct script_time script_time_decimal(struct diag *d, enum time_kind kind,
				       char *text, const struct src_loc *loc);
struct script_time script_time_any(const struct src_loc *loc);
struct event_timing event_timing_new(enum timing_shape shape,
				     const struct script_time *start,
				     const struct script_time *end);

struct event *event_new_packet(const struct event_timing *timing,
			       struct packet_spec *packet,
			       const struct src_loc *loc);
struct event *event_new_syscall(const struct event_timing *timing, char *name,
				const struct src_loc *name_loc,
				struct expr_list *args, struct expr *result,
				char *errno_name,
				const struct src_loc *errno_loc, char *note,
				const struct src_loc *loc);
/* The same, with every name written after the result: the first is the
 * errno, the others go to more_words. */
struct event *event_new_syscall_words(const struct event_timing *timing,
				      char *name, const struct src_loc *name_loc,
				      struct expr_list *args,
				      struct expr *result,
				      struct expr_list *words, char *note,
				      const struct src_loc *loc);
struct event *event_new_command(const struct event_timing *timing,
				char *command, const struct src_loc *loc);
struct event *event_new_code(const struct event_timing *timing, char *code,
			     const struct src_loc *loc);
void event_free(struct event *e);

/* include("path", NAME=value, ...), in script_include.c. */
struct script_include *script_include_new(const struct event_timing *timing,
					  struct script_bytes *path,
					  const struct src_loc *path_loc,
					  struct script_params *params,
					  const struct src_loc *keyword_loc,
					  const struct src_loc *loc);
void script_add_include(struct script *s, struct script_include *inc);
void script_include_free(struct script_include *inc);
struct script_params *script_params_new(void);
struct script_params *script_params_add(struct script_params *list,
					char *name,
					const struct src_loc *name_loc,
					char *value,
					const struct src_loc *value_loc);
void script_params_free(struct script_params *list);
/* A parameter's value as the text of a define that means the same. */
char *script_param_integer(int64_t v);
char *script_param_string(struct script_bytes *text);
char *script_param_command(char *text);

struct ip_spec ip_spec_none(void);
struct ip_spec ip_spec_ecn(struct diag *d, char *name,
			   const struct src_loc *loc);
struct ip_spec ip_spec_tos(struct diag *d, int64_t v,
			   const struct src_loc *loc);
struct ip_spec ip_spec_flowlabel(struct diag *d, int64_t v,
				 const struct src_loc *loc);
struct ip_spec ip_spec_ttl(struct diag *d, int64_t v,
			   const struct src_loc *loc);
struct ip_spec ip_spec_merge(struct diag *d, const struct ip_spec *a,
			     const struct ip_spec *b,
			     const struct src_loc *b_loc);

struct script_ports script_ports_none(void);
struct script_ports script_ports_new(struct diag *d, int64_t sport,
				     const struct src_loc *sport_loc,
				     int64_t dport,
				     const struct src_loc *dport_loc);
struct script_seq script_seq_new(struct diag *d, int64_t start,
				 const struct src_loc *start_loc, int64_t end,
				 const struct src_loc *end_loc, int64_t len,
				 const struct src_loc *len_loc);
struct script_u32 script_u32_none(void);
struct script_u32 script_u32_new(struct diag *d, const char *what, int64_t v,
				 const struct src_loc *loc);
struct tcp_flags_spec tcp_flags_parse(struct diag *d, char *text,
				      const struct src_loc *loc);

struct packet_spec *packet_spec_new_tcp(const struct tcp_flags_spec *flags,
					const struct src_loc *flags_loc,
					const struct script_seq *seq,
					const struct src_loc *seq_loc);
/* [start:end(len)] quoted by an ICMP error: no flags written. */
struct packet_spec *packet_spec_new_quoted(const struct script_seq *seq,
					   const struct src_loc *seq_loc);
struct packet_spec *packet_spec_set_ack(struct diag *d, struct packet_spec *p,
					int64_t v,
					const struct src_loc *keyword_loc,
					const struct src_loc *value_loc);
struct packet_spec *packet_spec_set_win(struct diag *d, struct packet_spec *p,
					int64_t v,
					const struct src_loc *keyword_loc,
					const struct src_loc *value_loc);
struct packet_spec *packet_spec_set_urg(struct diag *d, struct packet_spec *p,
					int64_t v,
					const struct src_loc *keyword_loc,
					const struct src_loc *value_loc);
/* options NULL: "<...>", options not checked. */
struct packet_spec *packet_spec_set_options(struct packet_spec *p,
					    struct tcp_option_list *options,
					    const struct src_loc *open_loc,
					    const struct src_loc *close_loc);
struct packet_spec *packet_spec_new_udp(struct diag *d, int64_t len,
					const struct src_loc *loc);
struct packet_spec *packet_spec_new_icmp(char *type,
					 const struct src_loc *type_loc,
					 char *code,
					 const struct src_loc *code_loc,
					 const struct script_u32 *mtu,
					 const struct src_loc *mtu_loc,
					 struct packet_spec *quoted);
struct packet_spec *packet_spec_set_head(struct diag *d, struct packet_spec *p,
					 enum packet_direction dir,
					 const struct ip_spec *ip,
					 const struct src_loc *ip_loc,
					 const struct script_ports *ports,
					 const struct src_loc *ports_loc);
void packet_spec_free(struct packet_spec *p);

struct tcp_option_spec tcp_option_new(enum tcp_option_kind kind,
				      const struct src_loc *loc);
struct tcp_option_spec tcp_option_new_mss(struct diag *d, int64_t v,
					  const struct src_loc *loc,
					  const struct src_loc *value_loc);
struct tcp_option_spec tcp_option_new_wscale(struct diag *d, int64_t v,
					     const struct src_loc *loc,
					     const struct src_loc *value_loc);
struct tcp_option_spec tcp_option_new_ts(struct diag *d, int64_t val,
					 const struct src_loc *val_loc,
					 int64_t ecr,
					 const struct src_loc *ecr_loc,
					 const struct src_loc *loc);
/* md5 digest, FO or FOEXP cookie: hex text, NULL when none was written. */
struct tcp_option_spec tcp_option_new_data(struct diag *d,
					   enum tcp_option_kind kind, char *hex,
					   const struct src_loc *hex_loc,
					   const struct src_loc *loc);
struct tcp_option_spec tcp_option_sack_add(struct diag *d,
					   const struct tcp_option_spec *sack,
					   int64_t left,
					   const struct src_loc *left_loc,
					   int64_t right,
					   const struct src_loc *right_loc,
					   const struct src_loc *loc);
struct tcp_option_spec tcp_option_accecn_add(struct diag *d,
					     const struct tcp_option_spec *ecn,
					     char *field,
					     const struct src_loc *field_loc,
					     int64_t v,
					     const struct src_loc *value_loc,
					     const struct src_loc *loc);
struct tcp_option_list *tcp_option_list_new(void);
struct tcp_option_list *
tcp_option_list_append(struct tcp_option_list *list,
		       const struct tcp_option_spec *option);
void tcp_option_list_free(struct tcp_option_list *list);

struct expr *expr_new_ellipsis(const struct src_loc *loc);
struct expr *expr_new_int(int64_t v, const struct src_loc *loc);
struct expr *expr_new_word(char *name, const struct src_loc *loc);
struct expr *expr_new_string(struct script_bytes *text,
			     const struct src_loc *loc);
struct expr *expr_new_binary(int op, struct expr *lhs, struct expr *rhs,
			     const struct src_loc *loc);
/* kind is EXPR_LIST or EXPR_STRUCT. */
struct expr *expr_new_list(enum expr_kind kind, struct expr_list *items,
			   const struct src_loc *loc);
struct expr *expr_new_call(char *name, struct expr_list *args,
			   const struct src_loc *loc);
struct expr *expr_new_field(char *name, struct expr *index, struct expr *value,
			    const struct src_loc *loc);
/* name(index)=value: index must hold exactly one expression. */
struct expr *expr_new_indexed_field(struct diag *d, char *name,
				    struct expr_list *index,
				    const struct src_loc *index_loc,
				    struct expr *value,
				    const struct src_loc *loc);
void expr_free(struct expr *e);
struct expr_list *expr_list_new(void);
struct expr_list *expr_list_append(struct expr_list *list, struct expr *e);
void expr_list_free(struct expr_list *list);

#endif
