/**
 * Chats with the real student bot through botbuilder's TestAdapter, one student at a time.
 * `send` returns every activity the bot sent for that message.
 */
import { ActivityTypes, TestAdapter, type Activity, type Attachment } from 'botbuilder';
import type { App } from '../../src/app';

export type Reply = Partial<Activity>;

export class StudentChat {
  readonly adapter: TestAdapter;

  constructor(
    readonly app: App,
    readonly userId = `student-${Math.random().toString(36).slice(2, 8)}`,
    readonly conversationId = `conv-${Math.random().toString(36).slice(2, 8)}`,
    readonly channelId = 'test',
  ) {
    this.adapter = new TestAdapter(async (context) => app.studentBot.run(context));
  }

  private base(): Partial<Activity> {
    return {
      channelId: this.channelId,
      from: { id: this.userId, name: 'Student' },
      recipient: { id: 'bot', name: 'Stagemaatje' },
      conversation: { id: this.conversationId, isGroup: false, conversationType: 'personal', name: '' },
      serviceUrl: 'http://127.0.0.1:1/',
    };
  }

  async send(text: string): Promise<Reply[]> {
    return this.deliver({ ...this.base(), type: ActivityTypes.Message, text });
  }

  /** Presses a button: sends its value the way Web Chat's messageBack does. */
  async press(value: string): Promise<Reply[]> {
    return this.deliver({ ...this.base(), type: ActivityTypes.Message, text: value, value: { choice: value } });
  }

  async sendAttachment(attachment: Attachment, text = ''): Promise<Reply[]> {
    return this.deliver({ ...this.base(), type: ActivityTypes.Message, text, attachments: [attachment] });
  }

  async join(): Promise<Reply[]> {
    return this.deliver({
      ...this.base(),
      type: ActivityTypes.ConversationUpdate,
      membersAdded: [{ id: this.userId, name: 'Student' }],
    });
  }

  async deliver(activity: Partial<Activity>): Promise<Reply[]> {
    this.adapter.activeQueue.splice(0);
    await this.adapter.processActivity(activity);
    return this.adapter.activeQueue.splice(0).filter((a) => a.type === ActivityTypes.Message);
  }
}

export function texts(replies: Reply[]): string {
  return replies.map((r) => r.text ?? '').join('\n');
}

export function buttons(replies: Reply[]): string[] {
  return replies.flatMap((r) => r.suggestedActions?.actions.map((a) => String(a.text ?? a.value)) ?? []);
}

export function buttonLabels(replies: Reply[]): string[] {
  return replies.flatMap((r) => r.suggestedActions?.actions.map((a) => a.title) ?? []);
}
