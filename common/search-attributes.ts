/**
 * Custom search attributes (Keyword) that let the Temporal UI and
 * `temporal workflow list --query 'StoryboardId="..."'` filter by storyboard and shot.
 * They must be registered on the namespace: scripts/infra.sh and docker-compose.yml do it;
 * on your own cluster run `temporal operator search-attribute create --name StoryboardId --type Keyword`
 * (and ShotId), or start storyboards with `searchAttributes: false`.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const StoryboardIdKey = defineSearchAttributeKey('StoryboardId', SearchAttributeType.KEYWORD);
export const ShotIdKey = defineSearchAttributeKey('ShotId', SearchAttributeType.KEYWORD);
