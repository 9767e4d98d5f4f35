"""Writes chat_templates.json: Hugging Face-style chat templates rendered by jinja2 as transformers'
apply_chat_template renders them (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, raise_exception).
The orchestrator's Jinja subset must give the same strings (OpenAi/ChatTemplateTests). Run: python3 make_chat_templates.py"""
import json
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.exceptions import TemplateError

QWEN2 = ("{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
         "{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}"
         "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
         "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")

LLAMA3 = ("{% set loop_messages = messages %}{% for message in loop_messages %}"
          "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}"
          "{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
          "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}")

LLAMA2 = ("{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}"
          "{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}"
          "{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
          "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
          "{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
          "{% else %}{% set content = message['content'] %}{% endif %}"
          "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"
          "{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}")

ZEPHYR = """{% for message in messages %}
{% if message['role'] == 'user' %}
{{ '<|user|>
' + message['content'] + eos_token }}
{% elif message['role'] == 'system' %}
{{ '<|system|>
' + message['content'] + eos_token }}
{% elif message['role'] == 'assistant' %}
{{ '<|assistant|>
'  + message['content'] + eos_token }}
{% endif %}
{% if loop.last and add_generation_prompt %}
{{ '<|assistant|>' }}
{% endif %}
{% endfor %}"""

QWEN25 = """{%- if messages[0]['role'] == 'system' %}
    {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}
{%- else %}
    {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}
{%- endif %}
{%- set ns = namespace(count=0, last_user=none) %}
{%- for message in messages if message.role != 'system' %}
    {%- if message.role == "user" %}
        {%- set ns.count = ns.count + 1 %}
        {%- set ns.last_user = message.content %}
    {%- endif %}
    {{- '<|im_start|>' + message.role + '\\n' + message.content | trim + '<|im_end|>' + '\\n' }}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\\n' }}
{%- endif %}
{#- a comment #}
{{- '' if ns.count is odd else '' }}"""

CONVERSATIONS = {
    "user": [{"role": "user", "content": "Hello there"}],
    "system-user": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "  Name a colour.  "}],
    "multi-turn": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
                   {"role": "assistant", "content": "Hello!"}, {"role": "user", "content": "Bye"}],
    "not-alternating": [{"role": "user", "content": "Hi"}, {"role": "user", "content": "Again"}],
}

env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)

def raise_exception(message):
    raise TemplateError(message)

env.globals["raise_exception"] = raise_exception
cases = []
for name, template in [("qwen2", QWEN2), ("llama3", LLAMA3), ("llama2", LLAMA2), ("zephyr", ZEPHYR), ("qwen2.5", QWEN25)]:
    for conversation, messages in CONVERSATIONS.items():
        for generation in (True, False):
            case = {"template_name": name, "template": template, "conversation": conversation, "messages": messages,
                    "add_generation_prompt": generation, "bos_token": "<s>", "eos_token": "</s>"}
            try:
                case["expected"] = env.from_string(template).render(messages=messages, add_generation_prompt=generation,
                                                                    bos_token="<s>", eos_token="</s>")
            except TemplateError as error:
                case["error"] = str(error)
            cases.append(case)
with open("chat_templates.json", "w") as out:
    json.dump(cases, out, indent=1)
print(f"{len(cases)} cases")
