/* hex.h: hexadecimal digits, for the parsers of percent-encoding and \u escapes. */
#ifndef LK_HEX_H
#define LK_HEX_H

/* The value of one hex digit (either case), or -1. */
int lk_hex_digit(char c);

#endif
