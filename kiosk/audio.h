/*
 * audio.h -- narration playback: a pack's Ogg Opus file decoded with
 * libopusfile and queued to an SDL audio device (audio_sdl.c, the second
 * file that includes SDL).
 *
 * Decoding is paced by the caller's clock: kaudio_pump(now) decodes only
 * what has played since kaudio_play plus a short lead (KAUDIO_LEAD_MS),
 * at most KAUDIO_STEP_MS of audio a call, so a frame never waits on more
 * than a few milliseconds of decoding, and a stop (SDL_ClearQueuedAudio)
 * cuts the sound within the lead.  The same pacing runs on the virtual
 * clock of scripted tests, where it bounds what reaches SDL's disk driver.
 */
#ifndef KIOSK_AUDIO_H
#define KIOSK_AUDIO_H

#include <stddef.h>

enum { KAUDIO_RATE = 48000, KAUDIO_LEAD_MS = 60, KAUDIO_STEP_MS = 250 };

typedef struct kaudio kaudio;

kaudio *kaudio_new(void);
void kaudio_free(kaudio *au);

/* Start playing path (Ogg Opus) at now (ms), stopping what played.
 * Returns 0, or -1 with err filled (no device, a file that does not
 * decode); nothing plays then. */
int kaudio_play(kaudio *au, const char *path, long long now, char *err,
                size_t errlen);
/* Stop at once: the queued audio is dropped. */
void kaudio_stop(kaudio *au);
/* Decode and queue what is due at now.  Returns 1 while playing. */
int kaudio_pump(kaudio *au, long long now);
/* 1 while a file is playing (decoded audio still to come). */
int kaudio_playing(const kaudio *au);

/* Volume 0..100 (staff setting), and mute (quiet hours): a muted kiosk
 * still runs the narration's clock, and plays silence. */
void kaudio_set_volume(kaudio *au, int percent);
void kaudio_set_mute(kaudio *au, int mute);

/* Scripted tests: wait (real time, at most 1 s) until no more than
 * ahead_ms of audio is queued, so the virtual clock keeps pace with what
 * the device has played. */
void kaudio_settle(kaudio *au, int ahead_ms);
/* Wait (real time, at most timeout_ms) until the device has played what
 * is queued: a test's last step before the device closes. */
void kaudio_drain(kaudio *au, int timeout_ms);

/* Length of an Ogg Opus file in 48 kHz samples, or -1 with err filled. */
long long kaudio_file_samples(const char *path, char *err, size_t errlen);

#endif
