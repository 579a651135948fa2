/* Tables shared by the AST's constructors (script.c) and its dump
 * (script_dump.c); not part of the AST's interface. */
#ifndef TCPCHECK_SCRIPT_INTERNAL_H
#define TCPCHECK_SCRIPT_INTERNAL_H

#include "script.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define USECS_PER_SEC 1000000

#define ECN_NAME_COUNT (ECN_ECT01 + 1)
#define TCP_FLAG_LETTER_COUNT 9

struct tcp_flag_letter {
	char letter;
	unsigned int bit;
	const char *name;
};

/* "noecn", "ect0", ... by enum ecn_spec. */
extern const char *const ecn_names[ECN_NAME_COUNT];
/* Each flag's letter, bit and name. */
extern const struct tcp_flag_letter tcp_flag_letters[TCP_FLAG_LETTER_COUNT];
/* "e0b", "ceb", "e1b" by enum accecn_field. */
extern const char *const accecn_names[3];

#endif
