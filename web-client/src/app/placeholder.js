// @ts-check
// Tracks that exist only to create a media slot (see MediaConnection): a silent audio track and
// a blank 16x16 canvas track, stopped right after the slot is made. One AudioContext serves every
// audio placeholder of a call and is closed with it.

export class PlaceholderTracks {
  /** @type {AudioContext | undefined} */
  #audioContext;

  /** @param {'audio' | 'video'} kind @returns {MediaStreamTrack} */
  track(kind) {
    if (kind === 'audio') {
      this.#audioContext ??= new AudioContext();
      return this.#audioContext.createMediaStreamDestination().stream.getAudioTracks()[0];
    }
    const canvas = document.createElement('canvas');
    canvas.width = 16;
    canvas.height = 16;
    canvas.getContext('2d');
    return canvas.captureStream(0).getVideoTracks()[0];
  }

  close() {
    this.#audioContext?.close().catch(() => {});
  }
}
