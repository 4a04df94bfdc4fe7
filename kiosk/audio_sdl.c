/*
 * audio_sdl.c -- narration playback (see audio.h): libopusfile decodes,
 * SDL's queue plays 48 kHz mono 16-bit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>
#include <opusfile.h>

#include "audio.h"

struct kaudio {
	SDL_AudioDeviceID dev;
	OggOpusFile *of;
	long long start;  /* ms on the caller's clock when play began */
	long long queued; /* samples queued since then */
	int volume, mute;
};

kaudio *kaudio_new(void)
{
	kaudio *au = calloc(1, sizeof *au);
	if (au)
		au->volume = 100;
	return au;
}

static void close_file(kaudio *au)
{
	if (au->of)
		op_free(au->of);
	au->of = NULL;
}

void kaudio_free(kaudio *au)
{
	if (!au)
		return;
	close_file(au);
	if (au->dev)
		SDL_CloseAudioDevice(au->dev);
	free(au);
}

static int open_device(kaudio *au, char *err, size_t errlen)
{
	SDL_AudioSpec want, have;
	if (au->dev)
		return 0;
	if (!SDL_WasInit(SDL_INIT_AUDIO) && SDL_InitSubSystem(SDL_INIT_AUDIO) != 0) {
		snprintf(err, errlen, "no audio: %s", SDL_GetError());
		return -1;
	}
	memset(&want, 0, sizeof want);
	want.freq = KAUDIO_RATE;
	want.format = AUDIO_S16SYS;
	want.channels = 1;
	want.samples = 2048; /* 43 ms: few wakeups, and a stop is heard soon */
	au->dev = SDL_OpenAudioDevice(NULL, 0, &want, &have, 0);
	if (!au->dev) {
		snprintf(err, errlen, "no audio device: %s", SDL_GetError());
		return -1;
	}
	SDL_PauseAudioDevice(au->dev, 0);
	return 0;
}

static OggOpusFile *open_opus(const char *path, char *err, size_t errlen)
{
	int e = 0;
	OggOpusFile *of = op_open_file(path, &e);
	if (!of)
		snprintf(err, errlen, "%s: not an Ogg Opus file (opusfile error %d)",
		         path, e);
	return of;
}

int kaudio_play(kaudio *au, const char *path, long long now, char *err,
                size_t errlen)
{
	kaudio_stop(au);
	if (!path)
		return 0;
	if (open_device(au, err, errlen) != 0)
		return -1;
	au->of = open_opus(path, err, errlen);
	if (!au->of)
		return -1;
	au->start = now;
	au->queued = 0;
	kaudio_pump(au, now);
	return 0;
}

void kaudio_stop(kaudio *au)
{
	close_file(au);
	if (au->dev)
		SDL_ClearQueuedAudio(au->dev);
}

int kaudio_playing(const kaudio *au)
{
	return au->of != NULL;
}

int kaudio_pump(kaudio *au, long long now)
{
	enum { CHUNK = 960 }; /* 20 ms */
	opus_int16 st[2 * CHUNK], mono[CHUNK];
	long long due, budget = (long long)KAUDIO_STEP_MS * KAUDIO_RATE / 1000;
	if (!au->of)
		return 0;
	due = (now - au->start + KAUDIO_LEAD_MS) * KAUDIO_RATE / 1000;
	while (au->queued < due && budget > 0) {
		int want = (int)(due - au->queued < CHUNK ? due - au->queued : CHUNK);
		int n = op_read_stereo(au->of, st, 2 * want);
		if (n == OP_HOLE)
			continue;
		if (n <= 0) { /* the end, or a damaged stream: stop there */
			close_file(au);
			return 0;
		}
		for (int i = 0; i < n; i++) {
			long v = ((long)st[2 * i] + st[2 * i + 1]) / 2;
			mono[i] = au->mute ? 0 : (opus_int16)(v * au->volume / 100);
		}
		SDL_QueueAudio(au->dev, mono, (Uint32)(n * sizeof *mono));
		au->queued += n;
		budget -= n;
	}
	return 1;
}

void kaudio_set_volume(kaudio *au, int percent)
{
	au->volume = percent < 0 ? 0 : percent > 100 ? 100 : percent;
}

void kaudio_set_mute(kaudio *au, int mute)
{
	au->mute = mute != 0;
}

void kaudio_settle(kaudio *au, int ahead_ms)
{
	Uint32 t0 = SDL_GetTicks(), max = (Uint32)ahead_ms * KAUDIO_RATE / 1000 * 2;
	while (au->dev && au->of && SDL_GetQueuedAudioSize(au->dev) > max &&
	       SDL_GetTicks() - t0 < 1000)
		SDL_Delay(2);
}

void kaudio_drain(kaudio *au, int timeout_ms)
{
	Uint32 t0 = SDL_GetTicks();
	while (au->dev && SDL_GetQueuedAudioSize(au->dev) > 0 &&
	       (int)(SDL_GetTicks() - t0) < timeout_ms)
		SDL_Delay(10);
	/* what the device took from the queue is written a buffer later */
	SDL_Delay(60);
}

long long kaudio_file_samples(const char *path, char *err, size_t errlen)
{
	OggOpusFile *of = open_opus(path, err, errlen);
	long long n;
	if (!of)
		return -1;
	n = op_pcm_total(of, -1);
	op_free(of);
	if (n < 0)
		snprintf(err, errlen, "%s: length unknown (opusfile error %lld)", path, n);
	return n;
}
