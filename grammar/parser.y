/* The script grammar: a pure bison parser whose actions only build the AST. */

%define api.pure full
%define api.location.type {struct src_loc}
%define parse.error detailed
%define parse.lac full
%locations
%expect 0

%parse-param {struct parser_state *st}
%lex-param {struct parser_state *st}

%code requires {
#include <stdint.h>

#include "script.h"

/* The scanner handle, declared here because lexer.l makes no header. */
typedef void *yyscan_t;

/* Everything one parse needs; the scanner reaches it as yyextra, the
 * grammar as st, so nothing lives in globals. */
struct parser_state {
	yyscan_t scanner;
	struct script *script; /* what the actions build */
	struct diag *diag;     /* first error wins */
	const struct script_define *defines;
	size_t define_count;

	/* Scanner bookkeeping. */
	int line, col;          /* position of the next unread character */
	int depth;              /* open ( [ {: '=' at depth 0 starts a result */
	int return_state;       /* where a comment or string hands back */
	int note_depth;         /* parentheses open inside a note */
	struct src_loc start;   /* where a token read in parts began */
	struct src_loc last;    /* the last token returned: EOF sits after it */
	int file;               /* this text's index in the script's files */
	int in_include;         /* inside the parentheses of include(...) */
	int param_name_next;    /* the next word names an include parameter */
	char *buf;              /* the text of a token read in parts */
	size_t len, cap;
};
}

%code provides {
int yylex(YYSTYPE *lval, YYLTYPE *lloc, struct parser_state *st);
}

%code {
#include <stdlib.h>
#include <string.h>

static void yyerror(YYLTYPE *loc, struct parser_state *st, const char *msg);

/* Locations are struct src_loc, whose field names differ from bison's;
 * an empty rule sits, zero-width, at the end of what precedes it. */
#define YYLLOC_DEFAULT(cur, rhs, n)                                        \
	do {                                                               \
		if (n) {                                                   \
			(cur).first_line = YYRHSLOC(rhs, 1).first_line;    \
			(cur).first_col = YYRHSLOC(rhs, 1).first_col;      \
			(cur).last_line = YYRHSLOC(rhs, n).last_line;      \
			(cur).last_col = YYRHSLOC(rhs, n).last_col;        \
			(cur).file = YYRHSLOC(rhs, 1).file;                \
		} else {                                                   \
			(cur).first_line = (cur).last_line =               \
				YYRHSLOC(rhs, 0).last_line;                \
			(cur).first_col = (cur).last_col =                 \
				YYRHSLOC(rhs, 0).last_col;                 \
			(cur).file = YYRHSLOC(rhs, 0).file;                \
		}                                                          \
	} while (0)
}

%union {
	int64_t num;
	char *text;
	struct script_bytes bytes;
	enum packet_direction dir;
	struct script_time time;
	struct event_timing timing;
	struct script_u32 u32;
	struct script_ports ports;
	struct script_seq seq;
	struct tcp_flags_spec flags;
	struct ip_spec ip;
	struct tcp_option_spec option;
	struct tcp_option_list *options;
	struct packet_spec *packet;
	struct expr *expr;
	struct expr_list *exprs;
	struct event *event;
	struct script_include *include;
	struct script_params *params;
}

%token <num> INTEGER "number"
%token <text> DECIMAL "decimal number"
%token <text> WORD "word"
%token <bytes> STRING "string"
%token <text> FLAGS "TCP flags"
%token <text> COOKIE "cookie"
%token <text> COMMAND "command"
%token <text> CODE "code block"
%token <text> NOTE "note"
%token <text> OPTION_NAME "option"
%token <text> OPTION_VALUE "option value"
%token ELLIPSIS "'...'"
%token ACK "'ack'" WIN "'win'" URG "'urg'"
%token UDP "'udp'" ICMP "'icmp'" MTU "'mtu'"
%token TOS "'tos'" FLOWLABEL "'flowlabel'" TTL "'ttl'"
%token NOP "'nop'" EOL "'eol'" MSS "'mss'" WSCALE "'wscale'"
%token SACKOK "'sackOK'" SACK "'sack'" TS "'TS'" VAL "'val'" ECR "'ecr'"
%token MD5 "'md5'" FO "'FO'" FOEXP "'FOEXP'" ECN "'ECN'"
%token INCLUDE "'include'"

%type <text> word opt_word opt_note opt_cookie param_value
%type <dir> direction
%type <time> time
%type <timing> timing
%type <u32> opt_mtu
%type <ports> opt_ports
%type <seq> seq_range
%type <flags> flags
%type <ip> opt_ip ip_items ip_item
%type <option> option sack accecn
%type <options> option_list
%type <packet> packet packet_body tcp_head udp opt_quoted
%type <expr> expr primary item
%type <exprs> opt_args args opt_items items opt_words
%type <event> event
%type <include> include
%type <params> params

%destructor { free($$); } <text>
%destructor { free($$.data); } <bytes>
%destructor { tcp_option_list_free($$); } <options>
%destructor { packet_spec_free($$); } <packet>
%destructor { expr_free($$); } <expr>
%destructor { expr_list_free($$); } <exprs>
%destructor { event_free($$); } <event>
%destructor { script_include_free($$); } <include>
%destructor { script_params_free($$); } <params>

%%

script:
	  options body
	;

options:
	  %empty
	| options OPTION_NAME
		{ script_add_option(st->script, $2, NULL, &@2, &@2); }
	| options OPTION_NAME OPTION_VALUE
		{ script_add_option(st->script, $2, $3, &@2, &@3); }
	;

/* A lone command is an init command; one after the events is cleanup. */
body:
	  %empty
	| init
	| init events cleanup
	| events cleanup
	;

init:
	  COMMAND { script_set_init(st->script, $1, &@1); }
	;

cleanup:
	  %empty
	| COMMAND { script_set_cleanup(st->script, $1, &@1); }
	;

events:
	  line
	| events line
	| events stray_command line
	| events stray_option
	;

line:
	  event { script_add_event(st->script, $1); }
	| include { script_add_include(st->script, $1); }
	;

/* Likely slips, named so the message can say what is wrong. */
stray_command:
	  COMMAND { script_stray_command(st->diag, $1, &@1); }
	;

stray_option:
	  OPTION_NAME { script_stray_option(st->diag, $1, NULL, &@1); }
	| OPTION_NAME OPTION_VALUE
		{ script_stray_option(st->diag, $1, $2, &@1); }
	;

event:
	  timing packet
		{ $$ = event_new_packet(&$1, $2, &@$); }
	| timing WORD '(' opt_args ')' '=' expr opt_words opt_note
		{ $$ = event_new_syscall_words(&$1, $2, &@2, $4, $7, $8, $9,
					       &@$); }
	| timing COMMAND
		{ $$ = event_new_command(&$1, $2, &@$); }
	| timing CODE
		{ $$ = event_new_code(&$1, $2, &@$); }
	;

/* include("file", NAME=value, ...): the file's events go here, spliced in
 * by script_include.c once the parse is done. */
include:
	  timing INCLUDE '(' STRING params ')'
		{ $$ = script_include_new(&$1, &$4, &@4, $5, &@2, &@$); }
	;

params:
	  %empty { $$ = script_params_new(); }
	| params ',' WORD '=' param_value
		{ $$ = script_params_add($1, $3, &@3, $5, &@5); }
	;

/* A parameter's value as a -D define's text, which the lexer reads again
 * inside the file. */
param_value:
	  INTEGER { $$ = script_param_integer($1); }
	| DECIMAL
	| WORD
	| FLAGS
	| STRING { $$ = script_param_string(&$1); }
	| COMMAND { $$ = script_param_command($1); }
	;

/* --- time ---------------------------------------------------------------- */

timing:
	  time { $$ = event_timing_new(TIMING_POINT, &$1, NULL); }
	| time '~' time { $$ = event_timing_new(TIMING_WINDOW, &$1, &$3); }
	| time ELLIPSIS time
		{ $$ = event_timing_new(TIMING_BLOCKING, &$1, &$3); }
	;

time:
	  INTEGER
		{ $$ = script_time_seconds(st->diag, TIME_ABSOLUTE, $1, &@$); }
	| DECIMAL
		{ $$ = script_time_decimal(st->diag, TIME_ABSOLUTE, $1, &@$); }
	| '+' INTEGER
		{ $$ = script_time_seconds(st->diag, TIME_RELATIVE, $2, &@$); }
	| '+' DECIMAL
		{ $$ = script_time_decimal(st->diag, TIME_RELATIVE, $2, &@$); }
	| '*' { $$ = script_time_any(&@$); }
	;

/* --- packets ------------------------------------------------------------- */

packet:
	  direction opt_ip opt_ports packet_body
		{ $$ = packet_spec_set_head(st->diag, $4, $1, &$2, &@2, &$3,
					    &@3); }
	;

direction:
	  '<' { $$ = DIR_INBOUND; }
	| '>' { $$ = DIR_OUTBOUND; }
	;

opt_ip:
	  %empty { $$ = ip_spec_none(); }
	| '[' ip_items ']' { $$ = $2; }
	| '(' ip_items ')' { $$ = $2; }
	;

ip_items:
	  ip_item
	| ip_items ip_item { $$ = ip_spec_merge(st->diag, &$1, &$2, &@2); }
	| ip_items ',' ip_item
		{ $$ = ip_spec_merge(st->diag, &$1, &$3, &@3); }
	;

ip_item:
	  WORD { $$ = ip_spec_ecn(st->diag, $1, &@1); }
	| TOS INTEGER { $$ = ip_spec_tos(st->diag, $2, &@2); }
	| FLOWLABEL INTEGER { $$ = ip_spec_flowlabel(st->diag, $2, &@2); }
	| TTL INTEGER { $$ = ip_spec_ttl(st->diag, $2, &@2); }
	;

opt_ports:
	  %empty { $$ = script_ports_none(); }
	| INTEGER '>' INTEGER
		{ $$ = script_ports_new(st->diag, $1, &@1, $3, &@3); }
	;

packet_body:
	  tcp_head
	| tcp_head '<' ELLIPSIS '>'
		{ $$ = packet_spec_set_options($1, NULL, &@2, &@4); }
	| tcp_head '<' '>'
		{ $$ = packet_spec_set_options($1, tcp_option_list_new(), &@2,
					       &@3); }
	| tcp_head '<' option_list '>'
		{ $$ = packet_spec_set_options($1, $3, &@2, &@4); }
	| udp
	| ICMP WORD opt_word opt_mtu opt_quoted
		{ $$ = packet_spec_new_icmp($2, &@2, $3, &@3, &$4, &@4, $5); }
	;

tcp_head:
	  flags seq_range
		{ $$ = packet_spec_new_tcp(&$1, &@1, &$2, &@2); }
	| tcp_head ACK INTEGER
		{ $$ = packet_spec_set_ack(st->diag, $1, $3, &@2, &@3); }
	| tcp_head WIN INTEGER
		{ $$ = packet_spec_set_win(st->diag, $1, $3, &@2, &@3); }
	| tcp_head URG INTEGER
		{ $$ = packet_spec_set_urg(st->diag, $1, $3, &@2, &@3); }
	;

flags:
	  FLAGS { $$ = tcp_flags_parse(st->diag, $1, &@1); }
	| WORD { $$ = tcp_flags_parse(st->diag, $1, &@1); }
	| DECIMAL { $$ = tcp_flags_parse(st->diag, $1, &@1); }
	| '-' { $$ = tcp_flags_parse(st->diag, script_strdup("-"), &@1); }
	;

seq_range:
	  INTEGER ':' INTEGER '(' INTEGER ')'
		{ $$ = script_seq_new(st->diag, $1, &@1, $3, &@3, $5, &@5); }
	;

opt_mtu:
	  %empty { $$ = script_u32_none(); }
	| MTU INTEGER { $$ = script_u32_new(st->diag, "mtu", $2, &@2); }
	;

opt_quoted:
	  %empty { $$ = NULL; }
	| '[' seq_range ']' { $$ = packet_spec_new_quoted(&$2, &@2); }
	| '[' tcp_head ']' { $$ = $2; }
	| '[' udp ']' { $$ = $2; }
	;

udp:
	  UDP '(' INTEGER ')' { $$ = packet_spec_new_udp(st->diag, $3, &@$); }
	;

option_list:
	  option { $$ = tcp_option_list_append(tcp_option_list_new(), &$1); }
	| option_list ',' option { $$ = tcp_option_list_append($1, &$3); }
	;

option:
	  NOP { $$ = tcp_option_new(TOPT_NOP, &@$); }
	| EOL { $$ = tcp_option_new(TOPT_EOL, &@$); }
	| MSS INTEGER { $$ = tcp_option_new_mss(st->diag, $2, &@$, &@2); }
	| WSCALE INTEGER
		{ $$ = tcp_option_new_wscale(st->diag, $2, &@$, &@2); }
	| SACKOK { $$ = tcp_option_new(TOPT_SACK_PERMITTED, &@$); }
	| sack
	| TS VAL INTEGER ECR INTEGER
		{ $$ = tcp_option_new_ts(st->diag, $3, &@3, $5, &@5, &@$); }
	| MD5 opt_cookie
		{ $$ = tcp_option_new_data(st->diag, TOPT_MD5, $2, &@2, &@$); }
	| FO opt_cookie
		{ $$ = tcp_option_new_data(st->diag, TOPT_FASTOPEN, $2, &@2,
					   &@$); }
	| FOEXP opt_cookie
		{ $$ = tcp_option_new_data(st->diag, TOPT_FASTOPEN_EXP, $2,
					   &@2, &@$); }
	| accecn
	;

sack:
	  SACK { $$ = tcp_option_new(TOPT_SACK, &@$); }
	| sack INTEGER ':' INTEGER
		{ $$ = tcp_option_sack_add(st->diag, &$1, $2, &@2, $4, &@4,
					   &@$); }
	;

accecn:
	  ECN { $$ = tcp_option_new(TOPT_ACCECN, &@$); }
	| accecn WORD INTEGER
		{ $$ = tcp_option_accecn_add(st->diag, &$1, $2, &@2, $3, &@3,
					     &@$); }
	;

opt_cookie:
	  %empty { $$ = NULL; }
	| COOKIE
	;

/* --- system calls -------------------------------------------------------- */

/* A call's errno, an ICMP message's code. */
opt_word:
	  %empty { $$ = NULL; }
	| WORD
	;

/* After a call's result: its errno, or more names (tcp_states() = A B C);
 * timeline.c says which a call takes. */
opt_words:
	  %empty { $$ = expr_list_new(); }
	| opt_words WORD { $$ = expr_list_append($1, expr_new_word($2, &@2)); }
	;

opt_note:
	  %empty { $$ = NULL; }
	| NOTE
	;

opt_args:
	  %empty { $$ = expr_list_new(); }
	| args
	;

args:
	  expr { $$ = expr_list_append(expr_list_new(), $1); }
	| args ',' expr { $$ = expr_list_append($1, $3); }
	;

expr:
	  primary
	| expr '|' primary { $$ = expr_new_binary('|', $1, $3, &@$); }
	;

primary:
	  ELLIPSIS { $$ = expr_new_ellipsis(&@$); }
	| INTEGER { $$ = expr_new_int($1, &@$); }
	| STRING { $$ = expr_new_string(&$1, &@$); }
	| word { $$ = expr_new_word($1, &@$); }
	| word '(' opt_args ')' { $$ = expr_new_call($1, $3, &@$); }
	| '[' opt_args ']' { $$ = expr_new_list(EXPR_LIST, $2, &@$); }
	| '{' opt_items '}' { $$ = expr_new_list(EXPR_STRUCT, $2, &@$); }
	;

opt_items:
	  %empty { $$ = expr_list_new(); }
	| items
	;

items:
	  item { $$ = expr_list_append(expr_list_new(), $1); }
	| items ',' item { $$ = expr_list_append($1, $3); }
	;

/* name(index)=value shares its start with a call; the '=' decides. */
item:
	  expr
	| word '=' expr { $$ = expr_new_field($1, NULL, $3, &@$); }
	| word '(' opt_args ')' '=' expr
		{ $$ = expr_new_indexed_field(st->diag, $1, $3, &@3, $6,
					      &@$); }
	;

/* Keywords of packet lines are plain names inside a call. */
word:
	  WORD
	| ACK { $$ = script_strdup("ack"); }
	| WIN { $$ = script_strdup("win"); }
	| URG { $$ = script_strdup("urg"); }
	| UDP { $$ = script_strdup("udp"); }
	| ICMP { $$ = script_strdup("icmp"); }
	| MTU { $$ = script_strdup("mtu"); }
	| TOS { $$ = script_strdup("tos"); }
	| FLOWLABEL { $$ = script_strdup("flowlabel"); }
	| TTL { $$ = script_strdup("ttl"); }
	| NOP { $$ = script_strdup("nop"); }
	| EOL { $$ = script_strdup("eol"); }
	| MSS { $$ = script_strdup("mss"); }
	| WSCALE { $$ = script_strdup("wscale"); }
	| SACKOK { $$ = script_strdup("sackOK"); }
	| SACK { $$ = script_strdup("sack"); }
	| TS { $$ = script_strdup("TS"); }
	| VAL { $$ = script_strdup("val"); }
	| ECR { $$ = script_strdup("ecr"); }
	| MD5 { $$ = script_strdup("md5"); }
	| FO { $$ = script_strdup("FO"); }
	| FOEXP { $$ = script_strdup("FOEXP"); }
	| ECN { $$ = script_strdup("ECN"); }
	;

%%

static void yyerror(YYLTYPE *loc, struct parser_state *st, const char *msg)
{
	/* Bison's only other message: its stack outgrew YYMAXDEPTH. */
	if (strcmp(msg, "memory exhausted") == 0)
		msg = "nested too deeply";
	diag_set(st->diag, EXIT_USAGE, loc, "%s", msg);
}

/* flex's entry points, declared by hand since lexer.l writes no header. */
struct yy_buffer_state;
int yylex_init_extra(struct parser_state *extra, yyscan_t *scanner);
struct yy_buffer_state *yy_scan_bytes(const char *bytes, int len,
				      yyscan_t scanner);
int yylex_destroy(yyscan_t scanner);

int script_grammar_parse(struct script *s, const char *text, size_t len,
			 int file, const struct script_define *defines,
			 size_t define_count, struct diag *d)
{
	struct parser_state st = {
		.script = s,
		.diag = d,
		.defines = defines,
		.define_count = define_count,
		.line = 1,
		.col = 1,
		.last = { 1, 1, 1, 1, file },
		.file = file,
	};
	int rc;

	if (len > INT32_MAX / 2)
		return diag_set(d, EXIT_USAGE, NULL, "script too large");
	if (yylex_init_extra(&st, &st.scanner) != 0)
		return diag_set(d, EXIT_INTERNAL, NULL,
				"cannot create the scanner");
	if (!yy_scan_bytes(text, (int)len, st.scanner)) {
		yylex_destroy(st.scanner);
		return diag_set(d, EXIT_INTERNAL, NULL,
				"cannot create the scanner buffer");
	}
	rc = yyparse(&st);
	yylex_destroy(st.scanner);
	free(st.buf);
	if (rc != 0 && !diag_failed(d))
		diag_set(d, EXIT_USAGE, NULL, "syntax error");
	return diag_failed(d) ? -1 : 0;
}
