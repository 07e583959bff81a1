// Audio worklets of the console softphone (the AudioContext runs at 8 kHz, the Media Streams rate).
// `softphone-capture` posts each 128-sample block of the microphone to the page, which frames it into 20 ms
// μ-law messages. `softphone-player` plays the bot's audio FIFO with the marks queued between it: a mark is posted
// back when the audio before it has played (so the page echoes it, as Twilio does), and `clear` drops the queue and
// returns every pending mark (Twilio echoes those too).

class SoftphoneCapture extends AudioWorkletProcessor {
  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (channel) this.port.postMessage(channel.slice(0));
    return true;
  }
}

class SoftphonePlayer extends AudioWorkletProcessor {
  constructor() {
    super();
    /** Items: Float32Array chunks and { mark } entries, in order. */
    this.queue = [];
    this.offset = 0;
    this.playing = false;
    this.port.onmessage = (message) => {
      const data = message.data;
      if (data.type === 'audio') this.queue.push(data.samples);
      else if (data.type === 'mark') this.queue.push({ mark: data.name });
      else if (data.type === 'clear') {
        const marks = this.queue.filter((item) => !(item instanceof Float32Array)).map((item) => item.mark);
        this.queue = [];
        this.offset = 0;
        this.port.postMessage({ type: 'cleared', marks });
      }
    };
  }

  process(_inputs, outputs) {
    const out = outputs[0][0];
    let written = 0;
    let audible = false;
    while (written < out.length && this.queue.length > 0) {
      const head = this.queue[0];
      if (!(head instanceof Float32Array)) {
        this.queue.shift();
        this.port.postMessage({ type: 'mark', name: head.mark });
        continue;
      }
      const take = Math.min(out.length - written, head.length - this.offset);
      for (let i = 0; i < take; i += 1) {
        const sample = head[this.offset + i];
        out[written + i] = sample;
        if (sample > 0.01 || sample < -0.01) audible = true;
      }
      written += take;
      this.offset += take;
      if (this.offset >= head.length) {
        this.queue.shift();
        this.offset = 0;
      }
    }
    // Marks right after the last audio are due now too.
    while (this.queue.length > 0 && !(this.queue[0] instanceof Float32Array)) this.port.postMessage({ type: 'mark', name: this.queue.shift().mark });
    if (audible && !this.playing) this.port.postMessage({ type: 'speaking' });
    this.playing = audible;
    if (written > 0) this.port.postMessage({ type: 'played', samples: written, audible });
    return true;
  }
}

registerProcessor('softphone-capture', SoftphoneCapture);
registerProcessor('softphone-player', SoftphonePlayer);
