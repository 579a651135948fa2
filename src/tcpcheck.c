/* tcpcheck's entry point: options and exit codes. */
#include <stdio.h>
int main(void) { puts("tcpcheck: under construction"); return 0; }
