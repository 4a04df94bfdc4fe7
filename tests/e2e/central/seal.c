/*
 * seal DB PHONE -- print PHONE sealed for the central store DB, as a
 * kiosk seals a number a resident types (ax_seal_phone with the store's
 * public key).  A test helper of api.sh.
 */
#include <stdio.h>

#include "anxin/auth.h"

int main(int argc, char **argv)
{
	unsigned char pk[32], sk[32];
	char out[128];
	ax_store *st;

	if (argc != 3 || ax_store_open(argv[1], 0, &st, NULL, 0) != AX_OK)
		return 2;
	if (ax_store_keypair(st, pk, sk) != AX_OK ||
	    ax_seal_phone(pk, argv[2], out) != AX_OK)
		return 1;
	ax_store_close(st);
	printf("%s\n", out);
	return 0;
}
