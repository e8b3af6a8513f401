/*
 * email.c — the one form an e-mail address takes in Cristal (base.h
 * cr_email_norm): users' addresses (store/user.c), the readers of a
 * message (ingest/mail.c) and of a chat channel (ingest/chat.c) are
 * compared as these bytes, so "Mei <MEI@Example.COM>" in a header, and
 * "mei@example.com" given to `cristal user add --email`, meet.
 *
 * Deliberately narrow: a quoted local part, a comment, an address literal
 * or a non-ASCII byte is refused (0), never guessed at: a refused address
 * grants nothing, so a hostile header can only take readers away.
 */
#include "cristal/base.h"

#include <string.h>

size_t cr_email_norm(const char *in, size_t n, char *out, size_t cap)
{
	if (!in || !out || !cap)
		return 0;
	while (n && (*in == ' ' || *in == '\t'))
		in++, n--;
	while (n && (in[n - 1] == ' ' || in[n - 1] == '\t'))
		n--;
	if (!n || n > 254 || n + 1 > cap)
		return 0;
	size_t at = n, n_at = 0;
	int dom_alnum = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c <= ' ' || c >= 0x7f || strchr("\"<>()[],;:\\", c))
			return 0;
		if (c == '@') {
			at = i;
			n_at++;
		} else if (n_at && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
			dom_alnum = 1;
		}
		out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	if (n_at != 1 || at == 0 || at + 1 == n || !dom_alnum)
		return 0;
	out[n] = 0;
	return n;
}
