/*
 * unit.smsd.pdu -- what the gateway hands libgammu to send: every part an
 * SMS-SUBMIT that asks the network for a delivery report (TP-SRR).  With
 * PDU = SMS_Submit, libgammu leaves TP-SRR clear and a real network never
 * reports delivery, so SMS outreach would count only residents who reply.
 * Expected first octets by hand (3GPP TS 23.040 9.2.3): TP-MTI 01
 * (SUBMIT) | TP-VPF 10 (relative validity, 0x10) | TP-SRR 0x20 = 0x31;
 * with a concatenation header TP-UDHI 0x40 too = 0x71.
 */
#include "check.h"
#include "modem.h"

int main(void)
{
	unsigned char first[8];
	char longtext[1024] = "";
	int n;

	n = gw_modem_submit_octets("+8613800000001", "您好，请回复1满意 2不满意。", first, 8);
	CHECK_INT(n, 1);
	CHECK_INT(first[0], 0x31);

	/* 120 Chinese characters: UCS-2, 67 per part, two parts */
	for (int i = 0; i < 120; i++)
		strcat(longtext, "安");
	n = gw_modem_submit_octets("+8613800000001", longtext, first, 8);
	CHECK_INT(n, 2);
	for (int i = 0; i < n && i < 8; i++)
		CHECK_INT(first[i], 0x71);
	printf("unit.smsd.pdu: %d checks, %d failed\n", check_count, check_failures);
	return check_failures != 0;
}
