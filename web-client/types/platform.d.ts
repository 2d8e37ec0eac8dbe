// What tsc (npm run typecheck) needs to know beyond TypeScript's DOM library: the build-time
// constant build.mjs defines, and browser APIs the client uses that the library lacks or has
// not caught up with (Chromium's legacy encoded streams, screen-capture hints, worker detection).

/** The hashed URL of the SFrame worker (build.mjs `define`); undefined when src/ runs unbundled. */
declare const __SFRAME_WORKER_URL__: string | undefined;

/** Chromium's legacy encoded-transform API (spec/media-sframe.md §7.3), used where RTCRtpScriptTransform is missing. */
interface EncodedStreams {
  readable: ReadableStream;
  writable: WritableStream;
}
// Declared as present: the client calls them only where transformApi() found them.
interface RTCRtpSender {
  createEncodedStreams(): EncodedStreams;
}
interface RTCRtpReceiver {
  createEncodedStreams(): EncodedStreams;
}
interface RTCConfiguration {
  /** Chromium: required before createEncodedStreams() can be called. */
  encodedInsertableStreams?: boolean;
}

/** Screen Capture hints (W3C Screen Capture) that Chromium honours. */
interface DisplayMediaStreamOptions {
  systemAudio?: 'include' | 'exclude';
  selfBrowserSurface?: 'include' | 'exclude';
  surfaceSwitching?: 'include' | 'exclude';
  monitorTypeSurfaces?: 'include' | 'exclude';
}

/** Present only inside a worker (the DOM library does not declare it). */
declare var WorkerGlobalScope: { new (): object; prototype: object } | undefined;

/** Test-only globals (browser tests and benchmark; the served bundle never reads or sets them). */
declare var __hybridgeTestConfig:
  | {
      hooks?: boolean;
      video?: MediaTrackConstraints;
      audioFrameMs?: number;
      wrongPsk?: boolean;
      sframe?: boolean;
      rawSdpForTestingOnly?: number;
      sfuSubscribeAllForTestingOnly?: boolean;
      screenVideo?: MediaTrackConstraints;
    }
  | undefined;
declare var __hybridge: Record<string, (...args: any[]) => unknown> | undefined;

/** The worker side of RTCRtpScriptTransform (WebRTC Encoded Transform), in TypeScript's WebWorker library only. */
interface RTCRtpScriptTransformer {
  readonly readable: ReadableStream;
  readonly writable: WritableStream;
  readonly options: any;
  generateKeyFrame(rid?: string): Promise<number>;
  sendKeyFrameRequest(): Promise<void>;
}
interface RTCTransformEvent extends Event {
  readonly transformer: RTCRtpScriptTransformer;
}
