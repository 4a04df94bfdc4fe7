/*
 * fuzz_campaigns -- the campaigns document a device receives from
 * central (ax_campaign_doc_parse: campaigns, a sampled 测评's drawn
 * households, packs and surveys through the content loader, the seal
 * key).  Outside input to every kiosk and gateway.
 *
 * Invariants: a decoded campaign has an id, and ids are unique; a
 * sampled campaign (sample_n > 0) answers 0 or 1 for any household, a
 * monitoring one -1; a document that decodes once decodes again to the
 * same campaigns.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "anxin/campaign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ax_campaign_doc *d = NULL, *d2 = NULL;
	char err[256];

	if (ax_campaign_doc_parse((const char *)data, size, NULL, NULL, &d, err,
	                          sizeof err) != AX_OK) {
		if (d)
			abort();
		return 0;
	}
	for (int i = 0; i < ax_campaign_doc_count(d); i++) {
		const struct ax_campaign *c = ax_campaign_doc_at(d, i);
		int in = ax_campaign_doc_sampled(d, c->id, "JZ000001");
		if (!c->id[0])
			abort();
		for (int k = 0; k < i; k++)
			if (strcmp(ax_campaign_doc_at(d, k)->id, c->id) == 0)
				abort();
		if (c->sample_n > 0 ? in < 0 || in > 1 : in != -1)
			abort();
	}
	if (ax_campaign_doc_parse((const char *)data, size, NULL, NULL, &d2, err,
	                          sizeof err) != AX_OK ||
	    ax_campaign_doc_count(d2) != ax_campaign_doc_count(d))
		abort();
	ax_campaign_doc_free(d2);
	ax_campaign_doc_free(d);
	return 0;
}
