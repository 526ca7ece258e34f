// Two questions the question tool asks in the question tests: one choice, one multiple choice.
export const QUESTIONS = [
  {
    question: 'Pick a color?',
    header: 'Color',
    options: [
      { label: 'Red', description: 'warm' },
      { label: 'Blue', description: 'cold' },
    ],
  },
  {
    question: 'Which sizes?',
    header: 'Sizes',
    options: [
      { label: 'S', description: 'small' },
      { label: 'L', description: 'large' },
    ],
    multiple: true,
  },
]
